/**
 * The operations the tenancy matrix (tenancy.test.ts) walks: every operation of GET
 * /openapi.json (test/openapi.test.ts holds the document to every route the worker serves),
 * each classified by who may call it, and the real objects of an organization that its path
 * and query parameters name.
 */
import { env as workerEnv } from "cloudflare:workers";
import { createLogger } from "../src/lib/log.ts";
import type { JobMessage } from "../src/queue/messages.ts";
import { createServices } from "../src/services/index.ts";
import { BASE, type CallResult, call, newIntegration, stubQueue, type TestOrg } from "./harness.ts";

export interface Operation {
  method: string;
  /** The document's path template, e.g. `/api/integrations/{id}/logs`. */
  path: string;
  params: { name: string; in: string }[];
  auth: "org" | "admin" | "none";
  hasBody: boolean;
}

interface OpenApiDoc {
  paths: Record<string, Record<string, Record<string, unknown>>>;
}

/**
 * The operations of an OpenAPI document, with how each authenticates. HEAD operations are left
 * out: their answers have no body to hold an error code, and each has a GET beside it.
 */
export function operationsOf(doc: OpenApiDoc): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, raw] of Object.entries(item)) {
      if (!["get", "post", "put", "patch", "delete"].includes(method)) continue;
      const o = raw as {
        parameters?: { name: string; in: string }[];
        requestBody?: unknown;
        security?: Record<string, unknown>[];
      };
      const security = o.security ?? [];
      ops.push({
        method: method.toUpperCase(),
        path,
        params: (o.parameters ?? []).map((p) => ({ name: p.name, in: p.in })),
        auth: security.some((s) => "adminToken" in s)
          ? "admin"
          : security.some((s) => "apiKey" in s)
            ? "org"
            : "none",
        hasBody: o.requestBody !== undefined,
      });
    }
  }
  return ops;
}

/** Operations anyone may call, each with the reason; every other operation needs a key. */
export const PUBLIC: Record<string, string> = {
  "GET /health": "the liveness probe: no organization's data",
  "GET /api/integrations/providers": "the provider catalog: no organization's data",
  "GET /api/connect-sessions/current":
    "the connect page's check of its link: the connect session token authenticates, and names only its own session",
  "GET /api/integrations/{provider}/callback":
    "the OAuth redirect target: the signed, single-use state names the flow, not a key",
  "POST /webhooks/{provider}/{integration_id}": "providers post here; the provider's signature authenticates",
  "GET /webhooks/{provider}/{integration_id}":
    "Meta's hub.challenge handshake (the verify token authenticates) or a delivery by GET (the signature does)",
  "POST /api/integrations/{provider}/webhook": "the 001 webhook URL; the provider's signature authenticates",
  "GET /api/integrations/{provider}/webhook":
    "the 001 webhook URL's handshake (the verify token authenticates) or a delivery by GET (the signature does)",
  "POST /webhook": "the 001 Facebook webhook URL; the app secret's signature authenticates",
  "GET /webhook": "the 001 Facebook handshake; the verify token authenticates",
  "POST /signup/{id}": "a public sign-up form posts here; the page's allowed origins and rate limit apply",
};

/** The objects of one organization that parameters can name. */
export interface OrgObjects {
  org: TestOrg;
  /** An integration per provider (sendgrid, facebook, telegram, hubspot, quickbooks, ...). */
  integration: Record<string, string>;
  message: string;
  endpoint: string;
  delivery: string;
  webhookEvent: string;
  job: string;
  push: string;
  record: string;
}

const TELEGRAM_SECRET = "tg-secret_tenancy_0123456789";

async function ok(r: CallResult | Promise<CallResult>, what: string) {
  const res = await r;
  if (res.status >= 300) throw new Error(`${what}: ${res.status} ${res.text}`);
  return res.json;
}

/**
 * Creates one of each object in `org` (its sendgrid and facebook integrations already exist).
 * Queue sends go to a stub, so no consumer changes these objects while the matrix runs.
 */
export async function createObjects(
  org: TestOrg,
  existing: { sendgrid: string; facebook: string },
): Promise<OrgObjects> {
  const jobs = stubQueue();
  const env = { JOBS: jobs.queue, WEBHOOKS: jobs.queue, DLQ: stubQueue().queue } as Partial<Env>;
  const opts = { key: org.adminKey, env };
  const tag = org.slug;
  const bodies: Record<string, Record<string, unknown>> = {
    telegram: {
      provider: "telegram",
      name: `Bot ${tag}`,
      bot_token: "123456:ABCdef_ghi-jkl",
      webhook_secret: TELEGRAM_SECRET,
    },
    hubspot: {
      provider: "hubspot",
      name: `CRM ${tag}`,
      private_app_token: "pat-na1-11111111-2222-3333-4444-555555555555",
    },
    quickbooks: {
      provider: "quickbooks",
      name: `QB ${tag}`,
      access_token: "eyJlbmMiOiJBMTI4Q0JDLUhTMjU2In0.sandbox",
      realm_id: "9341453050071234",
      environment: "sandbox",
    },
    other: {
      provider: "other",
      name: `Custom ${tag}`,
      api_base_url: "https://api.example.com/v1",
      api_key: "sk_t",
    },
    signup_page: {
      provider: "signup_page",
      name: `Page ${tag}`,
      is_active: true,
      config: {
        form_fields: JSON.stringify([
          { name: "email", label: "Email", type: "email", required: true },
          { name: "name", type: "text", required: true },
        ]),
        allowed_origins: "https://example.com",
      },
    },
  };
  const integration: Record<string, string> = { ...existing };
  for (const [provider, body] of Object.entries(bodies)) {
    integration[provider] = (await newIntegration(org, body)).id;
  }
  const message = await ok(
    call("POST", "/api/messages", {
      ...opts,
      body: { channel: "email", to: `x@${tag}.example`, subject: "Hi", text: "hi" },
    }),
    "message",
  );
  const endpoint = await ok(
    call("POST", "/api/event-endpoints", { ...opts, body: { url: `${BASE}/sandbox/_receiver/${tag}` } }),
    "endpoint",
  );
  const test = await ok(call("POST", `/api/event-endpoints/${endpoint.endpoint.id}/test`, opts), "test");
  const job = await ok(call("POST", `/api/integrations/${integration.hubspot}/sync/contacts`, opts), "sync");
  const push = await ok(
    call("POST", `/api/integrations/${integration.quickbooks}/records/customers`, {
      ...opts,
      body: { data: { name: `Acme ${tag}`, email: `ap@${tag}.example` } },
    }),
    "push",
  );
  await ok(
    call("POST", `/signup/${integration.signup_page}`, {
      env,
      body: { email: `lead@${tag}.example`, name: "Lead" },
      headers: { origin: "https://example.com" },
    }),
    "signup",
  );
  const records = await ok(
    call("GET", `/api/integrations/${integration.signup_page}/records/contacts`, opts),
    "records",
  );
  await ok(
    call("POST", `/webhooks/telegram/${integration.telegram}`, {
      env,
      raw: JSON.stringify({
        update_id: 777_001,
        message: { message_id: 1, chat: { id: 4242, type: "private" }, date: 1_700_000_000, text: "hi" },
      }),
      contentType: "application/json",
      headers: { "x-telegram-bot-api-secret-token": TELEGRAM_SECRET },
    }),
    "webhook",
  );
  // The delivery waits on the (stub) queue: the consumer's first step stores it, unprocessed.
  const ingest = jobs.sent.findLast((m) => (m as { type?: string }).type === "webhook.ingest") as Extract<
    JobMessage,
    { type: "webhook.ingest" }
  >;
  await createServices({ ...workerEnv, ...env } as Env, "req_tenancy").webhooks.storeQueued(
    [{ orgId: ingest.orgId, event: ingest.event }],
    createLogger({}),
    { process: false },
  );
  const events = await ok(
    call("GET", `/api/integrations/${integration.telegram}/webhook-events`, opts),
    "events",
  );
  return {
    org,
    integration,
    message: message.message.id,
    endpoint: endpoint.endpoint.id,
    delivery: test.delivery.id,
    webhookEvent: events.events?.[0]?.id ?? events.webhook_events?.[0]?.id,
    job: job.job.id,
    push: push.push?.id ?? push.id,
    record: records.records[0].id,
  };
}

/** The provider (and so the integration) an operation's path is about. */
export function providerFor(path: string): string {
  if (path.includes("{record_id}")) return "signup_page";
  if (path.includes("/records/") || path.includes("/pushes/")) return "quickbooks";
  if (/\/sync|sync-/.test(path) || path.includes("refresh-token")) return "hubspot";
  if (/webhook-(events|logs)/.test(path)) return "telegram";
  if (path.includes("/proxy/")) return "other";
  if (path.includes("/auth")) return "hubspot";
  if (path.startsWith("/organization-integration")) return "facebook";
  return "sendgrid";
}

/** Values of parameters that name no object: the same for both organizations. */
export function plainValue(op: Operation, name: string): string | undefined {
  switch (name) {
    case "provider":
      return providerFor(op.path);
    case "entity":
      return providerFor(op.path) === "quickbooks" ? "customers" : "contacts";
    case "type":
      return "email";
    case "rest":
      return "v1/items";
    default:
      return undefined;
  }
}

/** The object a parameter names, in `o`; `undefined` when it names none. */
export function objectValue(op: Operation, name: string, o: OrgObjects): string | undefined {
  switch (name) {
    case "id":
      if (op.path.startsWith("/api/messages/")) return o.message;
      if (op.path.startsWith("/api/event-endpoints/")) return o.endpoint;
      return o.integration[providerFor(op.path)];
    case "integration_id":
      return o.integration[providerFor(op.path)];
    case "record_id":
      return o.record;
    case "push_id":
      return o.push;
    case "job_id":
      return o.job;
    case "event_id":
      return o.webhookEvent;
    case "deliveryId":
      return o.delivery;
    default:
      return undefined;
  }
}

/** Stands for any organization's objects where only the shape of a request matters. */
export const ANY_OBJECTS: OrgObjects = {
  org: { orgId: "org", slug: "org", adminKey: "", memberKey: "" },
  integration: new Proxy({}, { get: () => "integration" }) as Record<string, string>,
  message: "message",
  endpoint: "endpoint",
  delivery: "delivery",
  webhookEvent: "event",
  job: "job",
  push: "push",
  record: "record",
};
