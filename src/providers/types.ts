import type { ProviderCalendar } from "./calendar.ts";
import type { Channel } from "./channels.ts";
import type { OAuthSettings } from "./oauth.ts";
import type { OutboundMessage, ProviderContext, SendResult, TestResult } from "./runtime.ts";
import type { ProviderSync, RateBudget } from "./sync.ts";
import type { ProviderWebhook } from "./webhooks.ts";

/** The channel type lives with the channels' rules; provider declarations name it from here too. */
export type { Channel } from "./channels.ts";

/**
 * The shape every provider module fills in. One module per provider (src/providers/<id>/)
 * holds everything provider-specific; the rest of the code only reads these declarations.
 */

/** Provider categories: the 002 `integration_type` values plus the wider catalog's. */
export const CATEGORIES = [
  "email",
  "whatsapp",
  "sms",
  "signup_page",
  "facebook",
  "crm",
  "accounting",
  "messaging",
  "calendar",
  "social",
  "other",
] as const;
export type Category = (typeof CATEGORIES)[number];

/** Other names of categories in paths (002's `configure/signup`). */
export const CATEGORY_ALIASES: Readonly<Record<string, Category>> = { signup: "signup_page" };

/** How the hub authenticates to the provider. */
export type AuthKind =
  | "api_key" // a key or token sent in a header or query parameter
  | "bearer" // a long-lived bearer token (page token, bot token, private-app token)
  | "basic" // HTTP basic auth (account SID + auth token, api user + key)
  | "oauth2" // authorization code flow with refresh
  | "aws_sigv4" // AWS Signature Version 4 with an access key pair
  | "smtp" // SMTP AUTH over a TCP socket
  | "json_rpc" // Odoo-style login inside the RPC body
  | "none"; // nothing (public sign-up pages)

/** Form input kinds a UI renders; also drive validation of stored values. */
export type FieldType =
  | "text"
  | "password"
  | "email"
  | "url"
  | "phone"
  | "number"
  | "boolean"
  | "select"
  | "textarea"
  | "json";

export interface ProviderField {
  /** Canonical name, snake_case. Stored under this name. */
  name: string;
  label: string;
  type: FieldType;
  required: boolean;
  /** Secret values go only to the vault and come back masked. */
  secret: boolean;
  /** Other names clients use for the same value (e.g. 001's `api_key` for Facebook's app id). */
  aliases?: string[];
  /** For `select`. */
  options?: string[];
  default?: string | number | boolean;
  placeholder?: string;
  help?: string;
}

/** What the catalog says a provider can do; derived by the registry from the hooks a module defines. */
export interface ProviderCapabilities {
  /** Has a cheap authenticated "test connection" call. */
  test: boolean;
  /** Channels it can send messages on (empty: cannot send). */
  send: Channel[];
  /** Receives provider webhooks. */
  webhooks: boolean;
  /** Connects through OAuth 2.0. */
  oauth: boolean;
  /** Entities it can sync (empty: none). */
  sync: string[];
  /** Entities it can push outward (bi-directional sync). */
  push?: string[];
  /** Calendar operations, where it has them. */
  calendar?: boolean;
  /** Captures leads, kept as the integration's `contacts` records (a sign-up page, Lead Ads). */
  leads?: boolean;
  /**
   * Whether the hub can tell where the provider sends this account's webhooks (`check`), and
   * also point them at the hub itself (`register`); absent when neither (`webhookSetup`).
   */
  webhook_setup?: "check" | "register";
  /** What the accounts one connection reaches are called ("Pages"), where the user picks one. */
  accounts?: string;
}

export interface Provider {
  id: string;
  category: Category;
  displayName: string;
  description: string;
  authKind: AuthKind;
  /** Where the provider's API lives; a deployment may override it (sandbox, regional endpoints). */
  defaultBaseUrl: string;
  /**
   * True when the customer supplies the API base URL (Odoo, custom). Such URLs pass the SSRF
   * guard before they are stored or fetched.
   */
  customerBaseUrl?: boolean;
  /** What a customer's base URL looks like, for the form's placeholder (with `customerBaseUrl`). */
  baseUrlExample?: string;
  /**
   * The setting that holds a customer-supplied host the hub connects to directly (SMTP). It
   * passes the same SSRF guard as customer base URLs.
   */
  customerHostField?: string;
  fields: ProviderField[];
  /** The field that 004's `{provider}/connect` body `token` fills. */
  tokenField: string;
  /** Derived by the registry from the module's hooks (see `ProviderModule`); never declared. */
  capabilities: ProviderCapabilities;
  /** The channels `send` sends on; present exactly when `send` is. */
  channels?: readonly Channel[];
  /** Calendar operations: free/busy (availability) and push-notification channels. */
  calendar?: ProviderCalendar;
  /**
   * Other names this provider goes by in per-provider paths (`/api/integrations/{name}/...`), the
   * 004 dialect's: there `whatsapp` is Twilio WhatsApp and `whatsapp_cloud` the Meta Cloud API.
   * An alias wins over the provider id it equals.
   */
  pathAliases?: readonly string[];
  /**
   * The provider a create that names only this provider's category gets when the category has
   * several (002: `integration_type: "whatsapp"` is the Meta Cloud API). One per category at most.
   */
  categoryDefault?: boolean;
  /**
   * The provider is the hub's public sign-up form: its integrations take anonymous submissions at
   * `/api/signup/{integration_id}` (one provider at most declares it).
   */
  publicForm?: boolean;
  /**
   * A phone number setting as the provider also writes it, reduced to the E.164 number it is
   * checked as (Twilio WhatsApp's `whatsapp:+14155238886`); the value is stored as given.
   */
  normalizePhone?: (value: string) => string;
  /**
   * Deployment settings (environment variables) the provider's webhook verifier may fall back on,
   * such as one Meta app secret shared by every Meta integration: `WebhookContext.defaults` key →
   * the setting's name. The hub passes the values the deployment sets.
   */
  deploymentSecrets?: Readonly<Record<string, string>>;
  /**
   * The provider's webhooks may also arrive at the organization-wide Meta callback (001's
   * `/webhook?org_id=`), where the event's routing ids pick the integration.
   */
  orgCallback?: boolean;
  /**
   * The provider verifies a webhook callback with a shared verify token (Meta's
   * `hub.verify_token` handshake): the hub generates one when the client gives none.
   */
  webhookVerifyToken?: boolean;
  docsUrl?: string;
  /**
   * The cheapest authenticated call: resolves with what the provider said about the account,
   * throws a ProviderError otherwise. Present when `capabilities.test` is true.
   */
  test?: (ctx: ProviderContext) => Promise<TestResult>;
  /** Sends a message on one of `capabilities.send`; throws a ProviderError on failure. */
  send?: (ctx: ProviderContext, message: OutboundMessage) => Promise<SendResult>;
  /** Receives and verifies the provider's webhooks; present when `capabilities.webhooks` is true. */
  webhook?: ProviderWebhook;
  /**
   * Where the provider sends the account's webhooks, for providers configured per account
   * through their API (Telegram `setWebhook`, Mailgun domain webhooks, SES event destinations):
   * test connection reports the check, and `register` points them at `ctx.webhookUrl`.
   */
  webhookSetup?: WebhookSetup;
  /** The provider's OAuth 2.0 authorization server; present when `capabilities.oauth` is true. */
  oauth?: OAuthSettings;
  /** Fetches a lead a webhook named (Lead Ads), for providers whose webhooks carry only its id. */
  leads?: LeadSource;
  /**
   * The API proxy: adds the integration's credentials to a request whose URL already lies under
   * `ctx.baseUrl`. Absent, the proxy injects `bearer` and `oauth2` tokens itself and refuses
   * the other auth kinds.
   */
  authorize?: (ctx: ProviderContext, request: Request) => Promise<Request>;
  /**
   * The proxy calls that only read at the provider: the only ones a `member` (read-only) key
   * may make through the proxy. Absent or empty, member keys get nothing through the proxy
   * (admin keys keep full access). Declare a route only where the provider documents that it
   * changes nothing (a `GET` is not enough: Telegram's `GET /sendMessage` sends).
   */
  proxyReadOnly?: readonly ProxyReadRoute[];
  /**
   * Where this integration's API calls go, from its settings, when that is not the deployment's
   * base URL itself (Salesforce: the instance URL the token response named). Every provider
   * call (tests, sends, syncs, pushes, the proxy) gets it as `ctx.baseUrl`; throws a permanent
   * ProviderError when the settings name no usable one.
   */
  apiBaseUrl?: (ctx: ProviderContext) => string;
  /**
   * A refused call that means the access token's session ended before its known expiry
   * (Salesforce's 401 INVALID_SESSION_ID): the hub refreshes the token once and makes the call
   * again; refused again, the call fails. `code` is the ProviderError's, `body` the answer's
   * (the proxy has only the answer).
   */
  sessionExpired?: (answer: { status?: number; code?: string | number; body?: unknown }) => boolean;
  /**
   * The accounts the integration's credentials reach, of which it uses one (the Facebook Pages
   * a user token manages): listed for the user to choose, and the chosen one's settings and
   * credentials stored.
   */
  accounts?: AccountChooser;
  /** Record sync (inward, and outward where `push` is set); present when `capabilities.sync` is not empty. */
  sync?: ProviderSync;
  /**
   * The provider's published request limits for one account. Every call the hub makes for one
   * integration (syncs, pushes, proxy, sends, tests) shares a budget paced just under them.
   */
  rateLimits?: RateBudget[];
}

/**
 * A provider module as written: everything but `capabilities`, which the registry derives from
 * the hooks it defines (a `send` makes it a sender on its `channels`, a `webhook` gives it
 * webhooks, and so on), so a capability and its hook cannot disagree.
 */
export type ProviderModule = Omit<Provider, "capabilities" | "send" | "channels"> &
  (
    | { send: NonNullable<Provider["send"]>; channels: readonly [Channel, ...Channel[]] }
    | { send?: undefined; channels?: undefined }
  );

/** Where the provider sends the account's webhooks now, compared with the hub's URL for the integration. */
export interface WebhookTarget {
  /** The provider sends them to `ctx.webhookUrl`. */
  pointsHere: boolean;
  /** Where they go now (the first URL when several), or null when nowhere. */
  currentUrl: string | null;
  /** What else the provider said (events subscribed, a pending confirmation), snake_case keys. */
  details?: Record<string, unknown>;
}

/** What a registration did, and what it leaves for the integration to store. */
export interface WebhookRegistration {
  /** Plain words ("Webhook set for @my_bot"). */
  message: string;
  /**
   * Field values the registration produced, saved on the integration by declared name (a topic
   * ARN, a signing key, a generated secret token); secret fields go to the vault.
   */
  values?: Record<string, string>;
}

export interface WebhookSetup {
  /** Reads where the provider sends webhooks; throws a ProviderError when it cannot tell. */
  check(ctx: ProviderContext): Promise<WebhookTarget>;
  /** Points the provider's webhooks at `ctx.webhookUrl`; throws a ProviderError when refused. */
  register?(ctx: ProviderContext): Promise<WebhookRegistration>;
}

/** Accounts behind one connection, one of which the integration works with. */
export interface AccountChooser {
  /** What the provider calls them, plural ("Pages"). */
  label: string;
  /** Lists them with the integration's credentials; never any account's credentials. */
  list(ctx: ProviderContext): Promise<ChoosableAccount[]>;
  /**
   * The field values to store for the chosen account (settings and secrets by field name: a
   * Page's id and its Page token); a permanent ProviderError when the id is not one of them.
   */
  choose(ctx: ProviderContext, accountId: string): Promise<Record<string, string>>;
}

export interface ChoosableAccount {
  id: string;
  name: string;
  /** The integration uses this one now. */
  selected: boolean;
  /** What else the provider says about it (category, the tasks the user may perform). */
  details?: Record<string, unknown>;
}

/** Leads announced by a webhook that carries only their id (Facebook Lead Ads). */
export interface LeadSource {
  /** The contact's `source` stored with each lead. */
  source: string;
  /** Why a lead of `formId` is skipped under this integration's settings, or null to take it. */
  skipReason(config: Record<string, unknown>, formId: string | undefined): string | null;
  /** Whether this integration's settings store each lead as a contact record. */
  createsContacts(config: Record<string, unknown>): boolean;
  /** Fetches the lead; throws a ProviderError on failure. */
  fetch(ctx: ProviderContext, leadId: string): Promise<Lead>;
}

/** A lead fetched from the provider, mapped onto a contact. */
export interface Lead {
  externalId: string;
  /** Normalized contact fields: name, email, phone, company, ... */
  contact: Record<string, string>;
  /** Every answer as the form named it. */
  answers: Record<string, string>;
  formId?: string;
  /** The provider's item as it came. */
  raw: unknown;
}

/**
 * A proxy call that only reads. `path` is matched against the caller's path under the base URL,
 * percent-decoded: `*` is one segment, a trailing `**` any number of segments (none too).
 */
export interface ProxyReadRoute {
  /** Read methods only; default both. */
  methods?: readonly ("GET" | "HEAD")[];
  path: string;
  /** Query parameters that must each appear exactly once and match (AWS Query API `Action`). */
  query?: Readonly<Record<string, RegExp>>;
  /**
   * Query parameters that turn the call into a write and so must be absent, compared without
   * case (the Graph API's `method=post` override).
   */
  forbidQuery?: readonly string[];
}
