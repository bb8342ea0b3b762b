// The API shapes the web UI reads (see /openapi.json), for the JSDoc types of public/ui/*.js:
// `/** @import { Integration } from "./types.js" */`. Types only: nothing imports this file
// at runtime.

/** One field of a provider's create/edit form. */
export interface ProviderField {
  name: string;
  label: string;
  type: string;
  required: boolean;
  secret: boolean;
  aliases?: string[];
  options?: string[];
  default?: string | number | boolean;
  placeholder?: string;
  help?: string;
  /** `integration`: the integration's own field of that name (`api_base_url`), not in `config`. */
  location?: "integration";
}

/** What a provider can do, derived by the hub from its module. */
export interface Capabilities {
  test: boolean;
  /** Channels it can send messages on (empty: cannot send). */
  send: string[];
  webhooks: boolean;
  oauth: boolean;
  /** Entities it syncs (empty: none). */
  sync: string[];
  push?: string[];
  calendar?: boolean;
  webhook_setup?: "check" | "register";
  /** What one connection's accounts are called (Pages); the user picks one. */
  accounts?: string;
  /** Captures leads, read as the integration's `contacts` records. */
  leads?: boolean;
}

/** A catalog entry of GET /api/integrations/providers. */
export interface Provider {
  id: string;
  category: string;
  display_name: string;
  description: string;
  auth_kind: string;
  default_base_url: string;
  customer_base_url: boolean;
  token_field: string;
  fields: ProviderField[];
  capabilities: Capabilities;
  docs_url?: string;
}

/** GET /api/integrations/providers. */
export interface ProviderCatalog {
  providers: Provider[];
}

export type IntegrationStatus = "active" | "inactive" | "error" | "pending";

/** An integration as the API returns it (secrets masked). */
export interface Integration {
  id: string;
  org_id: string;
  provider: string;
  /** The provider's category. */
  integration_type: string;
  name: string;
  status: IntegrationStatus;
  is_active: boolean;
  config: Record<string, unknown>;
  secrets: Record<string, string>;
  missing_fields: string[];
  api_base_url: string | null;
  webhook_url: string | null;
  webhook_verify_token: string | null;
  token_expires_at: string | null;
  last_sync_at: string | null;
  last_tested_at: string | null;
  last_error: string | null;
  error_count: number;
  created_at: string;
  updated_at: string;
  disconnected_at: string | null;
  signup_url?: string;
  embed_html?: string;
}

/** A page of GET /api/integrations. */
export interface IntegrationPage {
  integrations: Integration[];
  next_cursor: string | null;
}

/** An entry of an integration's log. */
export interface IntegrationLog {
  id: string;
  integration_id: string;
  level: string;
  action: string;
  message: string;
  details: Record<string, unknown> | null;
  created_at: string;
}

/** A message sent or received through an integration. */
export interface Message {
  id: string;
  integration_id: string;
  provider: string;
  channel: string;
  to: string;
  direction: "outbound" | "inbound";
  status: "queued" | "sending" | "sent" | "delivered" | "failed" | "received";
  sandbox: boolean;
  attempts: number;
  provider_message_id: string | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  sent_at: string | null;
  delivered_at: string | null;
  next_attempt_at: string | null;
}

/** A webhook delivery the hub received from a provider. */
export interface WebhookEvent {
  id: string;
  organization_id: string;
  integration_id: string;
  provider: string;
  event_type: string;
  provider_event_id: string | null;
  payload?: unknown;
  processed: boolean;
  status: "pending" | "processing" | "processed" | "failed" | "ignored";
  attempts: number;
  duplicates: number;
  result: Record<string, unknown> | null;
  last_error: string | null;
  next_attempt_at: string | null;
  received_at: string;
  processed_at: string | null;
}

/** What a provider's webhook check said (connection test, webhook registration). */
export interface WebhookCheck {
  points_here: boolean;
  current_url: string | null;
  expected_url: string | null;
  error?: string;
  subscription?: string;
  [key: string]: unknown;
}

/** POST /api/integrations/{id}/test. */
export interface TestResult {
  ok: boolean;
  message: string;
  details?: { webhook?: WebhookCheck; [key: string]: unknown };
  integration: Integration;
}

/** POST /api/integrations/{id}/webhooks/register. */
export interface RegisterResult {
  ok: boolean;
  message: string;
  webhook?: WebhookCheck;
  integration: Integration;
}

/** One sync run of an entity. */
export interface SyncJob {
  id: string;
  integration_id: string;
  provider: string;
  entity: string;
  direction: "inbound" | "outbound";
  trigger: string;
  mode: "full" | "incremental";
  status: "queued" | "running" | "paused" | "success" | "partial" | "failed";
  pages_done: number;
  records_synced: number;
  records_failed: number;
  records_deleted: number;
  error_message: string | null;
  started_at: string | null;
  completed_at: string | null;
  created_at: string;
}

/** A sync run on the dashboard. */
export interface SyncRun extends SyncJob {
  integration_name: string | null;
}

export type SyncState = "idle" | "queued" | "running" | "paused" | "success" | "partial" | "failed";

/** One entity of GET /api/integrations/{id}/sync-status. */
export interface SyncEntity {
  entity: string;
  kind: string;
  state: SyncState;
  current_job: SyncJob | null;
  last_job: SyncJob | null;
}

/** GET /api/integrations/{id}/sync-status. */
export interface SyncStatus {
  integration_id: string;
  provider: string;
  last_sync_at: string | null;
  entities: SyncEntity[];
  jobs: SyncJob[];
}

/** A date and time of a calendar event (`date` for all-day events). */
export interface EventTime {
  date?: string;
  date_time?: string;
}

/** A calendar event as a synced record's data. */
export interface CalendarEventData {
  summary?: string;
  location?: string;
  status?: string;
  html_link?: string;
  all_day?: boolean;
  start?: EventTime;
  end?: EventTime;
  attendees?: { email?: string; display_name?: string }[];
}

/** A synced record of an entity. */
export interface SyncedRecord<T = Record<string, unknown>> {
  id: string;
  integration_id: string;
  entity: string;
  external_id: string;
  data: T;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

/** A calendar integration's push channel. */
export interface CalendarWatch {
  channel_id: string | null;
  resource_id: string | null;
  expires_at: string | null;
  address: string | null;
}

/** One account a connection reaches (a Facebook Page). */
export interface Account {
  id: string;
  name: string;
  selected: boolean;
  details?: Record<string, unknown>;
}

/** A day of the dashboard's charts. */
export interface DayCounts {
  date: string;
  total: number;
  by_status: Record<string, number>;
}

/** GET /api/dashboard. */
export interface Dashboard {
  days: string[];
  messages: DayCounts[];
  webhooks: DayCounts[];
  sync_runs: SyncRun[];
}

/** GET /api/connect-sessions/current. */
export interface CurrentConnectSession {
  expires_at: string;
  /** The OAuth providers the session may connect. */
  allowed_providers: string[];
}

/** A category card of the overview. */
export interface Card {
  id: string;
  title: string;
  text: string;
  /** Provider categories shown on this card too. */
  also?: string[];
}

/** A child of `h()`: a node, text (numbers too), nothing (null, undefined, false) or a list of them. */
export type Child = Node | string | number | boolean | null | undefined | Child[];

/** An event handler of `h()`'s attributes: `currentTarget` is the element built. */
type Handler<E extends Element, Ev extends Event> = (e: Ev & { currentTarget: E }) => unknown;

/**
 * The attributes of `h()`: `class`, `dataset`, `on…` handlers, properties of the element
 * (non-string values such as `disabled: true`, `value`), and any other attribute as a string.
 */
export interface Attrs<E extends Element = HTMLElement> {
  class?: string;
  dataset?: Record<string, string>;
  onclick?: Handler<E, MouseEvent>;
  oninput?: Handler<E, Event>;
  onchange?: Handler<E, Event>;
  [attr: string]: unknown;
}

declare global {
  interface Window {
    /** Scalar's standalone bundle (public/vendor/scalar/standalone.js), on /docs only. */
    Scalar: { createApiReference: (selector: string, config: Record<string, unknown>) => unknown };
  }
}
