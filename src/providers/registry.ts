// The provider catalog: every provider module keyed by id, with lookups by id and by category.
import { provider as autocount } from "./autocount/index.ts";
import { provider as aws_ses } from "./aws_ses/index.ts";
import { provider as aws_sns } from "./aws_sns/index.ts";
import { capabilitiesOf } from "./define.ts";
import { provider as facebook } from "./facebook/index.ts";
import { provider as google_calendar } from "./google_calendar/index.ts";
import { provider as hubspot } from "./hubspot/index.ts";
import { provider as instagram } from "./instagram/index.ts";
import { provider as mailchimp } from "./mailchimp/index.ts";
import { provider as mailgun } from "./mailgun/index.ts";
import { provider as odoo_crm } from "./odoo_crm/index.ts";
import { provider as other } from "./other/index.ts";
import { provider as plivo } from "./plivo/index.ts";
import { provider as quickbooks } from "./quickbooks/index.ts";
import { provider as salesforce } from "./salesforce/index.ts";
import { provider as sendgrid } from "./sendgrid/index.ts";
import { provider as signup_page } from "./signup_page/index.ts";
import { provider as smtp } from "./smtp/index.ts";
import { provider as sql_accounting } from "./sql_accounting/index.ts";
import { provider as telegram } from "./telegram/index.ts";
import { provider as twilio } from "./twilio/index.ts";
import { provider as twilio_whatsapp } from "./twilio_whatsapp/index.ts";
import type { Category, Provider, ProviderField, ProviderModule } from "./types.ts";
import { provider as vonage } from "./vonage/index.ts";
import { provider as whatsapp } from "./whatsapp/index.ts";
import { provider as xero } from "./xero/index.ts";

/** Every provider id, in catalog order (grouped by category). */
export const PROVIDER_IDS = [
  "hubspot",
  "salesforce",
  "odoo_crm",
  "facebook",
  "instagram",
  "whatsapp",
  "twilio_whatsapp",
  "sendgrid",
  "mailgun",
  "aws_ses",
  "smtp",
  "mailchimp",
  "twilio",
  "vonage",
  "aws_sns",
  "plivo",
  "telegram",
  "google_calendar",
  "quickbooks",
  "xero",
  "sql_accounting",
  "autocount",
  "signup_page",
  "other",
] as const;

export type ProviderId = (typeof PROVIDER_IDS)[number];

/**
 * Settings every provider that sends messages has: `sandbox_mode` records messages instead of
 * sending them; `default` makes it the channel's default integration.
 */
const SENDER_FIELDS: ProviderField[] = [
  {
    name: "sandbox_mode",
    label: "Sandbox mode (record messages, do not send)",
    type: "boolean",
    required: false,
    secret: false,
    default: false,
  },
  {
    name: "default",
    label: "Default integration for its channel",
    type: "boolean",
    required: false,
    secret: false,
    default: false,
  },
];

/** The catalog entry of a module: its derived capabilities, and the sender settings if it sends. */
function entryOf(m: ProviderModule): Provider {
  const capabilities = capabilitiesOf(m);
  const fields = m.send ? [...m.fields, ...SENDER_FIELDS] : m.fields;
  return { ...m, fields, capabilities };
}

const DECLARED: Record<ProviderId, ProviderModule> = {
  hubspot,
  salesforce,
  odoo_crm,
  facebook,
  instagram,
  whatsapp,
  twilio_whatsapp,
  sendgrid,
  mailgun,
  aws_ses,
  smtp,
  mailchimp,
  twilio,
  vonage,
  aws_sns,
  plivo,
  telegram,
  google_calendar,
  quickbooks,
  xero,
  sql_accounting,
  autocount,
  signup_page,
  other,
};

/** Every provider by id; a provider missing here is a compile error. */
export const PROVIDERS = Object.fromEntries(PROVIDER_IDS.map((id) => [id, entryOf(DECLARED[id])])) as Record<
  ProviderId,
  Provider
>;

const ID_SET: ReadonlySet<string> = new Set(PROVIDER_IDS);

/** True when `id` names a provider in the catalog (own ids only, never `constructor` and the like). */
export function isProviderId(id: string): id is ProviderId {
  return ID_SET.has(id);
}

/** The provider with this id, or undefined for an unknown id. */
export function getProvider(id: string): Provider | undefined {
  return isProviderId(id) ? PROVIDERS[id] : undefined;
}

/** The providers of one category, in catalog order. */
export function providersInCategory(category: Category): Provider[] {
  return PROVIDER_IDS.map((id) => PROVIDERS[id]).filter((p) => p.category === category);
}

/** The provider of the public sign-up form (`publicForm`). */
export const SIGNUP_PROVIDER_ID: ProviderId = (() => {
  const id = PROVIDER_IDS.find((p) => PROVIDERS[p].publicForm);
  if (!id) throw new Error("no provider declares publicForm");
  return id;
})();

/** Per-provider path names that differ from an id (`pathAliases`), each to its provider. */
const PATH_ALIASES: ReadonlyMap<string, ProviderId> = new Map(
  PROVIDER_IDS.flatMap((id) => (PROVIDERS[id].pathAliases ?? []).map((alias) => [alias, id] as const)),
);

/** The provider a per-provider path names: by one of its `pathAliases` first, else by id. */
export function providerForPath(name: string): Provider | undefined {
  const aliased = PATH_ALIASES.get(name);
  return aliased ? PROVIDERS[aliased] : getProvider(name);
}

/** The provider a create naming only `category` gets: its only one, or its `categoryDefault`. */
export function defaultProviderOf(category: Category): Provider | undefined {
  const candidates = providersInCategory(category);
  return candidates.length === 1 ? candidates[0] : candidates.find((p) => p.categoryDefault);
}

/** The providers whose webhooks may arrive at the organization-wide callback (`orgCallback`). */
export const ORG_CALLBACK_PROVIDERS: readonly ProviderId[] = PROVIDER_IDS.filter(
  (id) => PROVIDERS[id].orgCallback,
);

/** The deployment settings a provider's webhooks may fall back on, with the values this deployment has. */
export function deploymentDefaults(
  provider: Provider,
  setting: (name: string) => string | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, name] of Object.entries(provider.deploymentSecrets ?? {})) {
    const value = setting(name);
    if (value) out[key] = value;
  }
  return out;
}
