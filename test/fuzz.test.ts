/**
 * API fuzz: every operation of GET /openapi.json (the REST API, the 001 dialect, the operator
 * API, the proxy, the public sign-up and webhook routes and their URL checks) is driven with
 * inputs derived from its schemas: wrong types for every field, huge
 * strings and arrays, 10,000-deep nesting, RTL text, emoji and lone surrogates, CR/LF and NUL in
 * strings, paths and queries, missing required fields, extra fields, malformed JSON and wrong
 * content types, with an admin key of a fresh organization (and its member key for writes).
 *
 * It asserts that the hub never answers 5xx, and that a 4xx writes nothing: a fingerprint of
 * every D1 table is taken before and after each request. Inputs come from a seeded PRNG, so a
 * failure names a case that happens again on every run; queue sends go to a recording stub so
 * no consumer writes in the background while a request is being judged.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import {
  deepObject,
  HOSTILE_STRINGS,
  HOSTILE_URL_VALUES,
  hostileValue,
  type JsonSchema,
  plausible,
  RawJson,
  Rng,
  resolverFor,
  seedOf,
  toJson,
  wrongType,
} from "./fuzz-inputs.ts";
import {
  ADMIN_TOKEN,
  apiDocument,
  BASE,
  type CallResult,
  call,
  newIntegration,
  newOrg,
  type TestOrg,
} from "./harness.ts";

/** Change it to explore other inputs; every run with the same seed sends the same requests. */
const SEED = 20_260_601;
/** Cases per parameter and per body field; chosen so the whole file runs in well under a minute. */
const PER_PARAM = 4;
const PER_FIELD = 3;

// ---- what "nothing written" means ----------------------------------------------------------

/**
 * Tables left out of the fingerprint, because refusing a request legitimately writes them:
 * - `rate_limits`: fixed-window counters count attempts, refused ones included (test
 *   connection, sign-up submissions per client address);
 * - `d1_migrations`: the migration ledger, not data.
 */
const UNFINGERPRINTED_TABLES = new Set(["rate_limits", "d1_migrations"]);
/** Columns left out: `api_keys.last_used_at` is stamped by every authenticated request. */
const UNFINGERPRINTED_COLUMNS: Record<string, string[]> = { api_keys: ["last_used_at"] };

let tables: string[] = [];

type Rows = Record<string, Record<string, unknown>[]>;

/**
 * What a refused provider webhook may leave behind by design (src/services/webhooks.ts): a
 * `webhook.refused` line in the integration's log at most once a minute and, when the
 * integration has no secret to verify with, its `last_error` and an `integration.error` event
 * (with its deliveries). Webhook operations are judged with these left out.
 */
function withoutWebhookRefusals(rows: Rows): Rows {
  const refusalEvents = new Set(
    (rows.events ?? [])
      .filter((e) => e.type === "integration.error" && String(e.payload).includes("webhook.refused"))
      .map((e) => e.id),
  );
  return {
    ...rows,
    integration_logs: (rows.integration_logs ?? []).filter((l) => l.action !== "webhook.refused"),
    integrations: (rows.integrations ?? []).map(({ last_error: _, ...rest }) => rest),
    events: (rows.events ?? []).filter((e) => !refusalEvents.has(e.id)),
    event_deliveries: (rows.event_deliveries ?? []).filter((d) => !refusalEvents.has(d.event_id)),
  };
}

/** Every row of every table, as text per table (`filter` leaves out what an operation may write). */
async function fingerprint(filter: (rows: Rows) => Rows = (r) => r): Promise<Record<string, string>> {
  const results = await env.DB.batch(tables.map((t) => env.DB.prepare(`SELECT * FROM "${t}"`)));
  const rows: Rows = {};
  tables.forEach((t, i) => {
    const skip = UNFINGERPRINTED_COLUMNS[t] ?? [];
    rows[t] = ((results[i]?.results ?? []) as Record<string, unknown>[]).map((row) => {
      for (const c of skip) delete row[c];
      return row;
    });
  });
  const out: Record<string, string> = {};
  for (const [t, r] of Object.entries(filter(rows))) out[t] = JSON.stringify(r);
  return out;
}

const changedTables = (a: Record<string, string>, b: Record<string, string>) =>
  Object.keys(b).filter((t) => a[t] !== b[t]);

// ---- queue stub: work is recorded, never consumed while the fuzz judges writes -------------

const sent: unknown[] = [];
const stubQueue = {
  async send(body: unknown) {
    sent.push(body);
  },
  async sendBatch(messages: Iterable<{ body: unknown }>) {
    for (const m of messages) sent.push(m.body);
  },
  async metrics() {
    return { backlogCount: 0, backlogBytes: 0 };
  },
} as unknown as Queue;
const FUZZ_ENV = { JOBS: stubQueue, DLQ: stubQueue } as Partial<Env>;

// ---- the OpenAPI document -------------------------------------------------------------------

interface Parameter {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required?: boolean;
  schema?: JsonSchema;
}
interface Operation {
  method: string;
  path: string;
  parameters: Parameter[];
  /** The JSON body schema, or `raw` for routes that take any bytes (webhooks, the proxy). */
  body?: JsonSchema | "raw";
  bodyRequired: boolean;
  auth: "org" | "admin" | "none";
  /** Content types the document declares per error status (JSON when it declares none). */
  errorTypes: Record<string, string[]>;
}

interface OpenApiDoc {
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

const doc = apiDocument() as OpenApiDoc;
const resolve = resolverFor(doc);

/**
 * Body schemas that stand in for the document's where it cannot be exact: a sign-up post takes
 * whatever fields its page declares, so the fuzz uses the fields of its fixture page (below).
 */
const BODY_SCHEMAS: Record<string, JsonSchema> = {
  "POST /signup/{id}": {
    type: "object",
    properties: {
      email: { type: "string", format: "email" },
      name: { type: "string" },
      phone: { type: "string" },
      plan: { type: "string", enum: ["free", "pro"] },
      terms: { type: "boolean" },
    },
    required: ["email", "name", "terms"],
  },
};

/** Parameters beyond the document's: the proxy passes any query on, so one is fuzzed by name. */
const EXTRA_PARAMETERS: Record<string, Parameter[]> = {
  "/api/integrations/{id}/proxy/{rest}": [{ name: "q", in: "query" }],
};

/**
 * Optional parameters sent in every case: Meta's URL check needs all three, so a GET to a
 * webhook URL reaches the handshake rather than being taken for a delivery by GET.
 */
const ALWAYS_SENT = new Set(["hub.mode", "hub.verify_token", "hub.challenge"]);

function operationsOf(d: OpenApiDoc): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(d.paths)) {
    for (const [method, raw] of Object.entries(item)) {
      // HEAD is left out: its answers have no body to judge, and each has a GET beside it.
      if (!["get", "post", "put", "patch", "delete"].includes(method)) continue;
      const o = raw as {
        parameters?: Parameter[];
        requestBody?: { required?: boolean; content?: Record<string, { schema?: JsonSchema }> };
        security?: Record<string, unknown>[];
        responses?: Record<string, { content?: Record<string, unknown> }>;
      };
      const content = o.requestBody?.content ?? {};
      const json = content["application/json"];
      const security = o.security ?? [];
      const auth = security.some((s) => "adminToken" in s)
        ? "admin"
        : security.some((s) => "apiKey" in s)
          ? "org"
          : "none";
      const override = BODY_SCHEMAS[`${method.toUpperCase()} ${path}`];
      ops.push({
        method: method.toUpperCase(),
        path,
        parameters: [...(o.parameters ?? []), ...(EXTRA_PARAMETERS[path] ?? [])],
        body: override ?? (json ? resolve(json.schema) : o.requestBody ? "raw" : undefined),
        bodyRequired: o.requestBody?.required ?? false,
        auth,
        errorTypes: Object.fromEntries(
          Object.entries(o.responses ?? {}).map(([status, r]) => [status, Object.keys(r.content ?? {})]),
        ),
      });
    }
  }
  return ops;
}

const OPERATIONS = operationsOf(doc);

/**
 * Operations whose success destroys what they name: each gets objects of its own to destroy,
 * so the fixtures every other operation uses stay in place.
 */
const isDestructive = (op: Operation) =>
  op.method === "DELETE" ||
  /\/(disconnect|rotate-key|rotate-secret|delete-organization-integration)$/.test(op.path);

// ---- fixtures: real objects for path and query parameters ------------------------------------

interface Fixtures {
  org: TestOrg;
  integrationIds: string[];
  providers: string[];
  byProvider: Record<string, string>;
  signupId: string;
  telegramId: string;
  hubspotId: string;
  messageId: string;
  endpointId: string;
  deliveryId: string;
  webhookEventId: string;
  jobId: string;
  pushId: string;
  recordId: string;
  verifyToken: string;
}

let fx: Fixtures;

const TELEGRAM_SECRET = "tg-secret_fuzz_0123456789";

async function ok(r: CallResult | Promise<CallResult>, what: string) {
  const res = await r;
  if (res.status >= 300) throw new Error(`${what}: ${res.status} ${res.text}`);
  return res.json;
}

async function createFixtures(): Promise<Fixtures> {
  const org = await newOrg("Fuzz Org");
  const opts = { key: org.adminKey, env: FUZZ_ENV };
  const bodies: Record<string, Record<string, unknown>> = {
    sendgrid: { provider: "sendgrid", name: "SG", api_key: "SG.fuzz", from_email: "a@example.com" },
    twilio: {
      provider: "twilio",
      name: "SMS",
      account_sid: `AC${"0".repeat(32)}`,
      auth_token: "fuzz-auth-token-0123456789abcdef",
      from_phone_number: "+14155550100",
    },
    telegram: {
      provider: "telegram",
      name: "Bot",
      bot_token: "123456:ABCdef_ghi-jkl",
      webhook_secret: TELEGRAM_SECRET,
    },
    hubspot: {
      provider: "hubspot",
      name: "CRM",
      private_app_token: "pat-na1-11111111-2222-3333-4444-555555555555",
    },
    other: {
      provider: "other",
      name: "Custom",
      api_base_url: "https://api.example.com/v1",
      api_key: "sk_fuzz",
    },
    xero: { provider: "xero", name: "Books" },
    facebook: {
      provider: "facebook",
      name: "Page",
      access_token: "EAAGsandboxPageToken123",
      app_secret: "fuzz-app-secret-0123456789",
      page_id: "100000000000001",
      enable_lead_ads: true,
    },
    quickbooks: {
      provider: "quickbooks",
      name: "QB",
      access_token: "eyJlbmMiOiJBMTI4Q0JDLUhTMjU2In0.sandbox",
      realm_id: "9341453050071234",
      environment: "sandbox",
    },
    signup_page: {
      provider: "signup_page",
      name: "Page",
      is_active: true,
      config: {
        form_fields: JSON.stringify([
          { name: "email", label: "Email", type: "email", required: true },
          { name: "name", type: "text", required: true },
          { name: "phone", type: "phone" },
          { name: "plan", type: "select", options: ["free", "pro"] },
          { name: "terms", type: "checkbox", required: true },
        ]),
        allowed_origins: "https://example.com",
      },
    },
  };
  const byProvider: Record<string, string> = {};
  for (const [provider, body] of Object.entries(bodies)) {
    byProvider[provider] = (await newIntegration(org, body)).id;
  }
  const fb = await env.DB.prepare("SELECT webhook_verify_token AS t FROM integrations WHERE id = ?")
    .bind(byProvider.facebook)
    .first<{ t: string }>();
  const telegramId = byProvider.telegram as string;
  const hubspotId = byProvider.hubspot as string;
  const signupId = byProvider.signup_page as string;

  const message = await ok(
    call("POST", "/api/messages", {
      ...opts,
      body: { channel: "email", to: "x@example.com", subject: "Hi", text: "hi" },
    }),
    "message",
  );
  const endpoint = await ok(
    call("POST", "/api/event-endpoints", { ...opts, body: { url: `${BASE}/sandbox/_receiver/fuzz` } }),
    "endpoint",
  );
  const test = await ok(
    call("POST", `/api/event-endpoints/${endpoint.endpoint.id}/test`, opts),
    "endpoint test",
  );
  const job = await ok(call("POST", `/api/integrations/${hubspotId}/sync/contacts`, opts), "sync");
  const push = await ok(
    call("POST", `/api/integrations/${byProvider.quickbooks}/records/customers`, {
      ...opts,
      body: { data: { name: "Acme Pte Ltd", email: "ap@acme.test" } },
    }),
    "push",
  );
  await ok(
    call("POST", `/signup/${signupId}`, {
      env: FUZZ_ENV,
      body: { email: "lead@example.com", name: "Lead", terms: true },
    }),
    "signup",
  );
  const records = await ok(call("GET", `/api/integrations/${signupId}/records/contacts`, opts), "records");
  await ok(
    call("POST", `/webhooks/telegram/${telegramId}`, {
      env: FUZZ_ENV,
      raw: JSON.stringify({
        update_id: 777_001,
        message: { message_id: 1, chat: { id: 4242, type: "private" }, date: 1_700_000_000, text: "hi" },
      }),
      contentType: "application/json",
      headers: { "x-telegram-bot-api-secret-token": TELEGRAM_SECRET },
    }),
    "webhook",
  );
  const events = await ok(call("GET", `/api/integrations/${telegramId}/webhook-events`, opts), "events");
  return {
    org,
    integrationIds: Object.values(byProvider),
    providers: Object.keys(byProvider),
    byProvider,
    signupId,
    telegramId,
    hubspotId,
    messageId: message.message.id,
    endpointId: endpoint.endpoint.id,
    deliveryId: test.delivery.id,
    webhookEventId: events.events?.[0]?.id ?? events.webhook_events?.[0]?.id ?? "missing",
    jobId: job.job.id,
    pushId: push.push?.id ?? push.id,
    recordId: records.records[0].id,
    verifyToken: fb?.t ?? "missing",
  };
}

/** A sacrificial organization (with a member key to revoke) per destructive admin operation. */
const victimOrgs = new Map<string, Promise<{ orgId: string; keyIds: string[] }>>();
function victimOrg(op: Operation) {
  const k = `${op.method} ${op.path}`;
  let v = victimOrgs.get(k);
  if (!v) {
    v = newOrg(`Fuzz Victim ${k}`).then(async (victim) => {
      const keys = await ok(
        call("GET", `/admin/organizations/${victim.orgId}/api-keys`, { key: ADMIN_TOKEN }),
        "keys",
      );
      return { orgId: victim.orgId, keyIds: keys.api_keys.map((x: { id: string }) => x.id) };
    });
    victimOrgs.set(k, v);
  }
  return v;
}

/** The integrations whose objects a path's later parameters name (jobs of the CRM, ...). */
function integrationsFor(path: string): string[] {
  const p = fx.byProvider;
  if (/sync-(jobs|logs|schedule)/.test(path)) return [fx.hubspotId];
  if (path.includes("/pushes/")) return [p.quickbooks as string];
  if (path.includes("/records/")) return [fx.signupId, p.quickbooks as string];
  if (path.includes("webhook-events")) return [fx.telegramId];
  if (path.includes("/proxy/")) return [p.other as string, fx.telegramId];
  return fx.integrationIds;
}

/**
 * Real values for a path or query parameter of an operation, from the fixtures; an empty list
 * means the parameter is only ever sent with hostile values.
 */
async function realValues(op: Operation, p: Parameter): Promise<string[]> {
  const path = op.path;
  const destroy = isDestructive(op);
  if (path.startsWith("/admin/organizations/{id}")) {
    if (!destroy) return p.name === "id" ? [fx.org.orgId] : [];
    const victim = await victimOrg(op);
    return p.name === "keyId" ? victim.keyIds : [victim.orgId];
  }
  if (
    destroy &&
    ["id", "target", "integration_id"].includes(p.name) &&
    !path.startsWith("/api/event-endpoints")
  ) {
    const victim = await newIntegration(fx.org, {
      provider: "sendgrid",
      name: `Victim ${op.method} ${p.name} ${path}`,
    });
    return p.name === "target" ? [victim.id, "sendgrid"] : [victim.id];
  }
  if (path.startsWith("/api/event-endpoints/{id}") && p.name === "id") {
    if (!destroy) return [fx.endpointId];
    const victim = await ok(
      call("POST", "/api/event-endpoints", {
        key: fx.org.adminKey,
        env: FUZZ_ENV,
        body: { url: `${BASE}/sandbox/_receiver/victim` },
      }),
      "victim endpoint",
    );
    return [victim.endpoint.id];
  }
  if (path.startsWith("/api/messages/{id}")) return [fx.messageId];
  if (path === "/signup/{id}") return [fx.signupId];
  switch (p.name) {
    case "id":
    case "integration_id":
    case "target":
      return integrationsFor(path);
    case "provider":
      // A destructive operation's victim is a sendgrid integration.
      return destroy ? ["sendgrid"] : fx.providers;
    case "entity":
      return path.includes("/records/") ? ["contacts", "customers"] : ["contacts", "companies"];
    case "type":
      return ["email", "signup", "crm"];
    case "record_id":
      return [fx.recordId];
    case "push_id":
      return [fx.pushId];
    case "job_id":
      return [fx.jobId];
    case "event_id":
      return [fx.webhookEventId];
    case "deliveryId":
      return [fx.deliveryId];
    case "org_id":
      return [fx.org.orgId];
    case "organization_slug":
      return [fx.org.slug];
    case "rest":
      return ["getMe", "v1/items"];
    case "hub.mode":
      return ["subscribe"];
    case "hub.verify_token":
      return [fx.verifyToken];
    case "hub.challenge":
      return ["1158201444", "<script>alert(1)</script>"];
    case "limit":
      return ["1", "10", "200"];
    case "cursor":
    case "state":
    case "code":
    case "session":
      return [];
    default:
      return [String(plausible(p.schema, resolve, new Rng(seedOf(p.name))) ?? "x")];
  }
}

/** Real values for body fields that name objects, so a body gets past its lookups. */
function realBodyValue(name: string): unknown {
  switch (name) {
    case "org_id":
      return fx.org.orgId;
    case "organization_slug":
      return fx.org.slug;
    case "id":
    case "integration_id":
      return fx.byProvider.sendgrid;
    case "url":
      return `${BASE}/sandbox/_receiver/fuzz-body`;
    case "provider":
      return "other";
    case "api_base_url":
      return "https://api.example.com/v1";
    default:
      return undefined;
  }
}

// ---- cases ----------------------------------------------------------------------------------

interface Case {
  label: string;
  method: string;
  url: string;
  key: string | null;
  raw?: BodyInit;
  contentType?: string;
  headers?: Record<string, string>;
}

const short = (v: unknown) => {
  const t = v instanceof RawJson ? v.text : typeof v === "string" ? JSON.stringify(v) : toJson(v);
  return t.length > 40 ? `${t.slice(0, 30)}…(${t.length} chars)` : t;
};

const sentAlways = (p: Parameter) => p.required === true || ALWAYS_SENT.has(p.name);

async function casesFor(op: Operation, rng: Rng): Promise<Case[]> {
  const pathParams = op.parameters.filter((p) => p.in === "path");
  const queryParams = op.parameters.filter((p) => p.in === "query");
  const headerParams = op.parameters.filter((p) => p.in === "header");
  const real: Record<string, string[]> = {};
  for (const p of [...pathParams, ...queryParams]) real[p.name] = await realValues(op, p);

  const key = op.auth === "admin" ? ADMIN_TOKEN : op.auth === "org" ? fx.org.adminKey : null;
  const writes = op.method !== "GET";

  const build = (
    pathOverride: Record<string, string> = {},
    query: [string, string][] | null = null,
  ): string => {
    let path = op.path;
    // A provider and the integration of that provider, most of the time.
    const provider = real.provider?.length ? rng.pick(real.provider) : undefined;
    const paired =
      provider && fx.byProvider[provider] && rng.chance(0.8) ? fx.byProvider[provider] : undefined;
    const value = (name: string) => {
      if (name === "provider" && provider) return provider;
      if (paired && ["id", "integration_id"].includes(name) && !isDestructive(op)) return paired;
      return rng.pick(real[name]?.length ? (real[name] as string[]) : ["x"]);
    };
    for (const p of pathParams) {
      const v = pathOverride[p.name] ?? encodeURIComponent(value(p.name));
      path = path.replace(`{${p.name}}`, v);
    }
    const q =
      query ??
      queryParams
        .filter((p) => sentAlways(p) || (real[p.name]?.length && rng.chance(0.3)))
        .map((p): [string, string] => [p.name, encodeURIComponent(value(p.name))]);
    return q.length ? `${path}?${q.map(([k, v]) => `${k}=${v}`).join("&")}` : path;
  };
  const baseQuery = (): [string, string][] =>
    queryParams
      .filter((p) => sentAlways(p) || (real[p.name]?.length && rng.chance(0.3)))
      .map((p) => [
        p.name,
        encodeURIComponent(rng.pick(real[p.name]?.length ? (real[p.name] as string[]) : ["x"])),
      ]);

  const jsonSchema = op.body && op.body !== "raw" ? op.body : undefined;
  const baseBody = (): Record<string, unknown> | undefined => {
    if (!jsonSchema) return undefined;
    const v =
      jsonSchema.example !== undefined && rng.chance(0.5)
        ? jsonSchema.example
        : plausible(jsonSchema, resolve, rng);
    if (!v || typeof v !== "object" || Array.isArray(v)) return {};
    const out = { ...(v as Record<string, unknown>) };
    for (const k of Object.keys(out)) {
      const real = realBodyValue(k);
      if (real !== undefined) out[k] = real;
    }
    if (typeof out.name === "string") out.name = `${out.name} ${rng.int(1e9)}`;
    return out;
  };
  const jsonCase = (label: string, body: unknown, extra: Partial<Case> = {}): Case => ({
    label,
    method: op.method,
    url: build(),
    key,
    raw: body === undefined ? undefined : toJson(body),
    contentType: body === undefined ? undefined : "application/json",
    ...extra,
  });

  const cases: Case[] = [jsonCase("baseline", baseBody())];

  // Path parameters: hostile ids of every shape, the others real.
  for (const p of pathParams) {
    for (const v of rng.sample(HOSTILE_URL_VALUES, PER_PARAM + 1)) {
      if (v === "" && pathParams.length === 1 && !op.path.endsWith(`{${p.name}}`)) continue;
      cases.push({ ...jsonCase(`path ${p.name}=${short(v)}`, baseBody()), url: build({ [p.name]: v }) });
    }
  }
  // Query parameters: hostile values, repeated parameters, an unknown one.
  for (const p of queryParams) {
    for (const v of rng.sample(HOSTILE_URL_VALUES, PER_PARAM)) {
      const q = baseQuery().filter(([k]) => k !== p.name);
      cases.push({
        ...jsonCase(`query ${p.name}=${short(v)}`, baseBody()),
        url: build({}, [...q, [p.name, v]]),
      });
    }
    cases.push({
      ...jsonCase(`query ${p.name} repeated`, baseBody()),
      url: build({}, [...baseQuery(), [p.name, "1"], [p.name, "%00"]]),
    });
  }
  cases.push({
    ...jsonCase("unknown query parameter", baseBody()),
    url: build({}, [...baseQuery(), ["__proto__", "%0d%0a"], [rng.pick(["x".repeat(2000), "%00"]), "1"]]),
  });
  // Header parameters (Idempotency-Key): empty, long, whitespace, separators.
  for (const h of headerParams) {
    for (const v of ["", "k".repeat(10_000), "\t", " ", "key with spaces, commas; and=signs"]) {
      cases.push(jsonCase(`header ${h.name}=${short(v)}`, baseBody(), { headers: { [h.name]: v } }));
    }
  }

  if (jsonSchema) {
    const props = Object.entries(jsonSchema.properties ?? {});
    // Every field: hostile values of every kind.
    for (const [name, s] of props) {
      const wrong = wrongType(resolve(s));
      cases.push(
        jsonCase(`body ${name} of the wrong type ${short(wrong)}`, { ...baseBody(), [name]: wrong }),
      );
      for (let i = 0; i < PER_FIELD; i++) {
        const v = hostileValue(rng, resolve(s));
        cases.push(jsonCase(`body ${name}=${short(v)}`, { ...baseBody(), [name]: v }));
      }
      // Inside free-form objects: deep, wide and huge values one level down.
      const rs = resolve(s);
      if (rs.type === "object" && !rs.properties) {
        for (const v of [deepObject(10_000), hostileValue(rng, undefined)]) {
          cases.push(jsonCase(`body ${name}.x=${short(v)}`, { ...baseBody(), [name]: { x: v } }));
        }
      }
    }
    // Missing required fields, one at a time.
    for (const r of jsonSchema.required ?? []) {
      const b = baseBody() ?? {};
      delete b[r];
      cases.push(jsonCase(`body without ${r}`, b));
    }
    // Fields a client must not set, and unknown ones.
    for (const extra of rng.sample(
      [
        "id",
        "org_id",
        "organization_id",
        "status",
        "created_at",
        "updated_at",
        "error_count",
        "secrets",
        "x",
      ],
      3,
    )) {
      cases.push(
        jsonCase(`extra body field ${extra}`, { ...baseBody(), [extra]: hostileValue(rng, undefined) }),
      );
    }
    // Not an object at all.
    for (const v of [
      [],
      "str",
      42,
      null,
      true,
      deepObject(10_000),
      new RawJson("[".repeat(10_000) + "]".repeat(10_000)),
    ]) {
      cases.push(jsonCase(`body is ${short(v)}`, v));
    }
    // Duplicate keys (the last wins in JSON.parse) and prototype keys at the top.
    const base = toJson(baseBody() ?? {}).slice(1, -1);
    for (const text of [
      `{${base}${base ? "," : ""}"name":"first","name":${toJson(rng.pick(HOSTILE_STRINGS))}}`,
      `{"__proto__":{"role":"admin","is_active":true}${base ? `,${base}` : ""}}`,
      `{"constructor":{"prototype":{"polluted":1}}${base ? `,${base}` : ""}}`,
    ]) {
      cases.push(jsonCase(`body ${short(new RawJson(text))}`, new RawJson(text)));
    }
  }

  if (jsonSchema || writes) {
    // Malformed JSON, wrong content types, empty and oversized bodies.
    const text = toJson(baseBody() ?? {});
    const raw = (label: string, body: BodyInit, contentType?: string): Case => ({
      label,
      method: op.method,
      url: build(),
      key,
      raw: body,
      contentType,
    });
    for (const bad of [
      '{"name": "x",',
      "{'a':1}",
      '{"a":1,}',
      "NaN",
      '{"a":1} trailing',
      "\u0000",
      '"\\ud800"',
    ]) {
      cases.push(raw(`bad JSON ${short(bad)}`, bad, "application/json"));
    }
    cases.push(
      raw(
        "invalid UTF-8",
        new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
        "application/json",
      ),
    );
    cases.push(raw("empty JSON body", "", "application/json"));
    for (const type of [
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/xml",
      "application/json; charset=utf-16",
      "application/jsonx",
      "*/*",
    ]) {
      cases.push(raw(`content-type ${type}`, type.startsWith("multipart") ? "--x\r\n\r\n--x--" : text, type));
    }
    cases.push(raw("no content-type", text));
    cases.push(
      raw(
        "body over 1 MiB",
        toJson({ ...baseBody(), blob: "a".repeat(1024 * 1024 + 16) }),
        "application/json",
      ),
    );
    if (op.body === "raw") {
      const bytes = new Uint8Array(4096);
      for (let i = 0; i < bytes.length; i++) bytes[i] = rng.int(256);
      cases.push(raw("random bytes", bytes, "application/octet-stream"));
      cases.push(raw("deep JSON", deepObject(10_000).text, "application/json"));
    }
  }

  // Writes with a member (read-only) key: refused, and nothing written.
  if (writes && op.auth === "org") {
    for (const c of cases.slice(0, 3))
      cases.push({ ...c, label: `member key: ${c.label}`, key: fx.org.memberKey });
  }
  return cases;
}

// ---- the run --------------------------------------------------------------------------------

interface Finding {
  label: string;
  status: number;
  problem: string;
}

const isRouteMiss = (r: CallResult) => r.status === 404 && /^No route for/.test(r.json?.error ?? "");

/** A 4xx of the proxy that the provider gave (passed through) rather than the hub's own. */
const fromProvider = (op: Operation, r: CallResult) =>
  op.path.includes("/proxy/") && r.headers.get("x-switchboard-proxy-attempts") !== null;

async function fuzz(op: Operation) {
  const rng = new Rng(seedOf(`${SEED} ${op.method} ${op.path}`));
  const cases = await casesFor(op, rng);
  const findings: Finding[] = [];
  let reached = 0;
  const filter = op.path.includes("webhook") ? withoutWebhookRefusals : undefined;
  let before = await fingerprint(filter);
  for (const [i, c] of cases.entries()) {
    // Sign-up submissions are limited per client address: each case comes from its own.
    const address = { "cf-connecting-ip": `198.51.100.${i % 250}` };
    const r = await call(c.method, c.url, {
      key: c.key,
      raw: c.raw,
      contentType: c.contentType,
      headers: { ...address, ...c.headers },
      env: FUZZ_ENV,
    });
    if (!isRouteMiss(r)) reached++;
    const type = r.headers.get("content-type") ?? "";
    if (/html/i.test(type) && /<script>alert\(1\)|<img src=x/i.test(r.text)) {
      findings.push({ label: c.label, status: r.status, problem: "reflects markup into HTML" });
    }
    if (c.key === fx.org.memberKey && r.status < 400) {
      findings.push({ label: c.label, status: r.status, problem: "a member key wrote" });
    }
    if (r.status >= 500) {
      findings.push({ label: c.label, status: r.status, problem: r.text.slice(0, 200) });
    }
    if (r.status >= 400 && r.status < 500) {
      const after = await fingerprint(filter);
      const changed = changedTables(before, after);
      if (changed.length && !fromProvider(op, r))
        findings.push({ label: c.label, status: r.status, problem: `wrote to ${changed.join(", ")}` });
      const declared = op.errorTypes[String(r.status)] ?? [];
      const html = declared.includes("text/html") && type.startsWith("text/html");
      if (!html && !/^application\/json/.test(type))
        findings.push({
          label: c.label,
          status: r.status,
          problem: `not a JSON error: ${r.text.slice(0, 80)}`,
        });
      before = after;
    } else {
      before = await fingerprint(filter);
    }
  }
  return { findings, reached, total: cases.length };
}

beforeAll(async () => {
  const t = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\'",
  ).all<{ name: string }>();
  tables = t.results.map((r) => r.name).filter((n) => !UNFINGERPRINTED_TABLES.has(n));
  fx = await createFixtures();
}, 30_000);

describe("API fuzz: no 5xx, nothing written on a 4xx", () => {
  it("the document lists the operations the fuzz drives", () => {
    expect(OPERATIONS.length).toBeGreaterThan(60);
    expect(tables).toEqual(expect.arrayContaining(["organizations", "integrations", "messages", "records"]));
  });

  // Destructive operations last, so every other one sees the fixtures intact.
  const ordered = [...OPERATIONS].sort((a, b) => Number(isDestructive(a)) - Number(isDestructive(b)));
  it.each(ordered.map((op) => [`${op.method} ${op.path}`, op] as const))(
    "%s",
    async (_name, op) => {
      const { findings, reached, total } = await fuzz(op);
      expect(findings, `${op.method} ${op.path}`).toEqual([]);
      // Every operation was reached by most cases (not a 404 "No route" from a mistyped path).
      expect(
        reached,
        `${op.method} ${op.path}: ${reached} of ${total} cases reached a route`,
      ).toBeGreaterThan(total / 2);
    },
    20_000,
  );
});
