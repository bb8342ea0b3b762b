/**
 * Tenant isolation. Two organizations, A and B, each with integrations (B's made through the
 * 001 dialect). With A's admin key and A's member key, every organization-scoped route of
 * src/app.ts is called naming one of B's objects (→ 404) or B's organization (→ 403); never a
 * 200, and no response carries B's ids, names or data. Then: A's lists hold nothing of B's,
 * B's integrations, logs and audit log are unchanged, and the authentication rules hold
 * (no key, revoked key, member writes, operator routes vs. organization keys).
 */
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../src/db/client.ts";
import { integrations as integrationsTable } from "../src/db/schema.ts";
import { createServices } from "../src/services/index.ts";
import {
  ADMIN_TOKEN,
  apiDocument,
  type CallResult,
  call,
  newIntegration,
  newOrg,
  type TestOrg,
} from "./harness.ts";
import {
  ANY_OBJECTS,
  createObjects,
  type Operation,
  type OrgObjects,
  objectValue,
  operationsOf,
  PUBLIC,
  plainValue,
  providerFor,
} from "./tenancy-operations.ts";

// ---- helpers -------------------------------------------------------------------------------

const B_MAIL_SECRET = "SG.beta-tenant-secret-5f2c91";
const B_PAGE_SECRET = "EAA-beta-tenant-page-token-77d0";
const B_NAMES = ["Beta Transactional Mail", "Beta Facebook Page"];
const B_DATA = ["mailer@beta-tenant.example", "Beta Tenant Sender", "beta-page-424242", "beta-app-id-9911"];

interface World {
  a: TestOrg;
  b: TestOrg;
  aMail: string;
  aPage: string;
  bMail: string;
  bPage: string;
  /** One object of each kind per organization, for the generated matrix. */
  aObj: OrgObjects;
  bObj: OrgObjects;
  /** Strings that identify B or its data: none may appear in a response to A. */
  bMarkers: string[];
}
const w = {} as World;

interface Req {
  method: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}
interface Case {
  name: string;
  req: (w: World) => Req;
  /** 404: an object of another tenant; 403: the request names another organization. */
  expect: 403 | 404;
}

type Of<T> = T | ((w: World) => T);
const at = <T>(v: Of<T>, w: World): T => (typeof v === "function" ? (v as (w: World) => T)(w) : v);

/** A request, built once the world exists: each part fixed or computed from it. */
const rq =
  (
    method: string,
    path: Of<string>,
    body?: Of<Record<string, unknown>>,
    headers?: Of<Record<string, string>>,
  ) =>
  (w: World): Req => ({
    method,
    path: at(path, w),
    body: body === undefined ? undefined : at(body, w),
    headers: headers === undefined ? undefined : at(headers, w),
  });
const notFound = (name: string, req: (w: World) => Req): Case => ({ name, expect: 404, req });
const forbidden = (name: string, req: (w: World) => Req): Case => ({ name, expect: 403, req });
const xOrgB = (w: World) => ({ "x-org-id": w.b.orgId });

interface Route {
  name: string;
  method: string;
  req: (w: World) => Req;
}
/** A route of A's own (for the authentication checks); its method is the name's first word. */
const route = (name: string, req: (w: World) => Req): Route => ({
  name,
  method: name.split(" ")[0] ?? "",
  req,
});

const READS = new Set(["GET", "HEAD", "OPTIONS"]);
const send = (req: Req, key: string | null) =>
  call(req.method, req.path, { key, body: req.body, headers: req.headers });

function expectNothingOfB(r: CallResult) {
  for (const marker of w.bMarkers) expect(r.text, `response leaks "${marker}"`).not.toContain(marker);
}

/** What B sees of its own organization, through both dialects; compared before and after. */
async function bSnapshot() {
  const key = w.b.adminKey;
  const get = async (path: string) => {
    const r = await call("GET", path, { key });
    expect(r.status, path).toBe(200);
    return r.json;
  };
  return {
    rest: await get("/api/integrations"),
    restMail: await get(`/api/integrations/${w.bMail}`),
    restPage: await get(`/api/integrations/${w.bPage}`),
    compat: await get(`/organization-integrations?org_id=${w.b.orgId}`),
    compatMail: await get(`/organization-integration/${w.bMail}`),
    compatPage: await get(`/organization-integration/${w.bPage}`),
    logsMail: await get(`/api/integrations/${w.bMail}/logs`),
    logsPage: await get(`/api/integrations/${w.bPage}/logs`),
    stats: await get("/api/integrations/stats"),
    audit: await get("/api/audit-logs?limit=200"),
  };
}

/** B's decrypted secrets, straight from D1 through the vault. */
async function bSecrets() {
  const { integrations } = createServices(env, "req_tenancy");
  const rows = await createDb(env.DB)
    .select()
    .from(integrationsTable)
    .where(eq(integrationsTable.orgId, w.b.orgId));
  const out: Record<string, Record<string, string>> = {};
  for (const row of rows) out[row.id] = await integrations.secretsOf(row);
  return out;
}

/** The audit actors of every API key A has (or had). */
async function aActors() {
  const r = await call("GET", `/admin/organizations/${w.a.orgId}/api-keys`, { key: ADMIN_TOKEN });
  expect(r.status).toBe(200);
  return (r.json.api_keys as { id: string }[]).map((k) => `api_key:${k.id}`);
}

const countRows = async (sql: string, ...binds: unknown[]) =>
  (
    await env.DB.prepare(sql)
      .bind(...binds)
      .first<{ n: number }>()
  )?.n ?? -1;

// ---- the world -----------------------------------------------------------------------------

let bBefore: Awaited<ReturnType<typeof bSnapshot>>;
/** The secrets of B's integrations other than its mail and page, before A's walk. */
let bOtherSecrets: Record<string, Record<string, string>>;

beforeAll(async () => {
  w.a = await newOrg("Alpha Tenant");
  w.b = await newOrg("Beta Tenant");
  w.aMail = (
    await newIntegration(w.a, {
      provider: "sendgrid",
      name: "Alpha Mail",
      api_key: "SG.alpha-secret",
      from_email: "mailer@alpha.example",
    })
  ).id;
  const aPage = await call("POST", "/create-organization-integration", {
    key: w.a.adminKey,
    body: { org_id: w.a.orgId, integration_type: "facebook", name: "Alpha Page", access_token: "EAA-alpha" },
  });
  expect(aPage.status).toBe(201);
  w.aPage = aPage.json.integration.id;

  // B's integrations, through the 001 dialect.
  const bMail = await call("POST", "/create-organization-integration", {
    key: w.b.adminKey,
    body: {
      org_id: w.b.orgId,
      integration_type: "sendgrid",
      name: B_NAMES[0],
      api_key: B_MAIL_SECRET,
      config: { from_email: B_DATA[0], from_name: B_DATA[1] },
    },
  });
  expect(bMail.status).toBe(201);
  const bPage = await call("POST", "/create-organization-integration", {
    key: w.b.adminKey,
    body: {
      org_id: w.b.orgId,
      integration_type: "facebook",
      name: B_NAMES[1],
      access_token: B_PAGE_SECRET,
      api_key: B_DATA[3],
      config: { page_id: B_DATA[2] },
    },
  });
  expect(bPage.status).toBe(201);
  w.bMail = bMail.json.integration.id;
  w.bPage = bPage.json.integration.id;
  w.aObj = await createObjects(w.a, { sendgrid: w.aMail, facebook: w.aPage });
  w.bObj = await createObjects(w.b, { sendgrid: w.bMail, facebook: w.bPage });
  const { integration, org: _, ...bObjects } = w.bObj;
  w.bMarkers = [
    w.b.orgId,
    w.b.slug,
    w.bMail,
    w.bPage,
    ...B_NAMES,
    ...B_DATA,
    B_MAIL_SECRET,
    B_PAGE_SECRET,
    bPage.json.integration.webhook_verify_token,
    ...Object.values(integration),
    ...Object.values(bObjects),
  ];
  expect(w.bMarkers.every((m) => typeof m === "string" && m.length >= 8)).toBe(true);
  bBefore = await bSnapshot();
  const { [w.bMail]: _mail, [w.bPage]: _page, ...others } = await bSecrets();
  bOtherSecrets = others;
}, 30_000);

// ---- the matrix ----------------------------------------------------------------------------

const sendgridBody = { provider: "sendgrid", name: "Hijack", api_key: "SG.x", from_email: "h@alpha.example" };
const connectBody = { token: "SG.x", extra: { from_email: "h@alpha.example" } };
const pageBody = { integration_type: "facebook", name: "Hijack", access_token: "EAA-x" };

/** Every organization-scoped route, naming one of B's objects or B's organization. */
const CASES: Case[] = [
  // REST: B's objects by id
  notFound(
    "GET /api/integrations/{B mail}",
    rq("GET", (w) => `/api/integrations/${w.bMail}`),
  ),
  notFound(
    "GET /api/integrations/{B page}",
    rq("GET", (w) => `/api/integrations/${w.bPage}`),
  ),
  notFound(
    "PUT /api/integrations/{B mail}",
    rq("PUT", (w) => `/api/integrations/${w.bMail}`, { name: "Hijacked" }),
  ),
  notFound(
    "PATCH /api/integrations/{B mail} (secret)",
    rq("PATCH", (w) => `/api/integrations/${w.bMail}`, { api_key: "SG.x" }),
  ),
  notFound(
    "PATCH /api/integrations/{B page}",
    rq("PATCH", (w) => `/api/integrations/${w.bPage}`, { is_active: false }),
  ),
  notFound(
    "DELETE /api/integrations/{B mail}",
    rq("DELETE", (w) => `/api/integrations/${w.bMail}`),
  ),
  notFound(
    "DELETE /api/integrations/{B page}",
    rq("DELETE", (w) => `/api/integrations/${w.bPage}`),
  ),
  notFound(
    "POST /api/integrations/{B mail}/configure/email",
    rq("POST", (w) => `/api/integrations/${w.bMail}/configure/email`, { from_name: "Hijacked" }),
  ),
  notFound(
    "POST /api/integrations/{B page}/configure/facebook",
    rq("POST", (w) => `/api/integrations/${w.bPage}/configure/facebook`, { page_id: "hijacked" }),
  ),
  notFound(
    "GET /api/integrations/{B mail}/logs",
    rq("GET", (w) => `/api/integrations/${w.bMail}/logs`),
  ),
  notFound(
    "GET /api/integrations/{B page}/logs",
    rq("GET", (w) => `/api/integrations/${w.bPage}/logs`),
  ),
  notFound(
    "POST /api/integrations/sendgrid/connect?integration_id={B mail}",
    rq("POST", (w) => `/api/integrations/sendgrid/connect?integration_id=${w.bMail}`, connectBody),
  ),
  notFound(
    "POST /api/integrations/facebook/connect?integration_id={B page}",
    rq("POST", (w) => `/api/integrations/facebook/connect?integration_id=${w.bPage}`, { token: "EAA-x" }),
  ),
  notFound(
    "POST /api/integrations/sendgrid/connect?integration_id={B page} (wrong provider too)",
    rq("POST", (w) => `/api/integrations/sendgrid/connect?integration_id=${w.bPage}`, connectBody),
  ),
  notFound(
    "POST /api/integrations/sendgrid/disconnect?integration_id={B mail}",
    rq("POST", (w) => `/api/integrations/sendgrid/disconnect?integration_id=${w.bMail}`),
  ),
  notFound(
    "DELETE /api/integrations/sendgrid/disconnect?integration_id={B mail}",
    rq("DELETE", (w) => `/api/integrations/sendgrid/disconnect?integration_id=${w.bMail}`),
  ),
  notFound(
    "POST /api/integrations/facebook/disconnect?integration_id={B page}",
    rq("POST", (w) => `/api/integrations/facebook/disconnect?integration_id=${w.bPage}`),
  ),
  notFound(
    "DELETE /api/integrations/sendgrid?integration_id={B mail}",
    rq("DELETE", (w) => `/api/integrations/sendgrid?integration_id=${w.bMail}`),
  ),
  notFound(
    "DELETE /api/integrations/facebook?integration_id={B page}",
    rq("DELETE", (w) => `/api/integrations/facebook?integration_id=${w.bPage}`),
  ),

  // REST: B's organization named by org_id, organization_slug or X-Org-ID
  forbidden(
    "GET /api/integrations?org_id=B",
    rq("GET", (w) => `/api/integrations?org_id=${w.b.orgId}`),
  ),
  forbidden(
    "GET /api/integrations?organization_slug=B",
    rq("GET", (w) => `/api/integrations?organization_slug=${w.b.slug}`),
  ),
  forbidden("GET /api/integrations with X-Org-ID: B", rq("GET", "/api/integrations", undefined, xOrgB)),
  forbidden(
    "GET /api/integrations?type=facebook&org_id=B",
    rq("GET", (w) => `/api/integrations?type=facebook&org_id=${w.b.orgId}`),
  ),
  forbidden(
    "GET /api/integrations/stats?org_id=B",
    rq("GET", (w) => `/api/integrations/stats?org_id=${w.b.orgId}`),
  ),
  forbidden(
    "GET /api/integrations/stats with X-Org-ID: B",
    rq("GET", "/api/integrations/stats", undefined, xOrgB),
  ),
  forbidden(
    "GET /api/integrations/connected?org_id=B",
    rq("GET", (w) => `/api/integrations/connected?org_id=${w.b.orgId}`),
  ),
  forbidden(
    "GET /api/integrations/connected?organization_slug=B",
    rq("GET", (w) => `/api/integrations/connected?organization_slug=${w.b.slug}`),
  ),
  forbidden(
    "GET /api/audit-logs?org_id=B",
    rq("GET", (w) => `/api/audit-logs?org_id=${w.b.orgId}`),
  ),
  forbidden("GET /api/audit-logs with X-Org-ID: B", rq("GET", "/api/audit-logs", undefined, xOrgB)),
  forbidden(
    "GET /api/integrations/{B mail}?org_id=B",
    rq("GET", (w) => `/api/integrations/${w.bMail}?org_id=${w.b.orgId}`),
  ),
  forbidden(
    "GET /api/integrations/{B mail}/logs with X-Org-ID: B",
    rq("GET", (w) => `/api/integrations/${w.bMail}/logs`, undefined, xOrgB),
  ),
  forbidden(
    "GET /api/integrations/{A mail} with X-Org-ID: B",
    rq("GET", (w) => `/api/integrations/${w.aMail}`, undefined, xOrgB),
  ),
  forbidden(
    "POST /api/integrations with body org_id B",
    rq("POST", "/api/integrations", (w) => ({ ...sendgridBody, org_id: w.b.orgId })),
  ),
  forbidden(
    "POST /api/integrations with body organization_slug B",
    rq("POST", "/api/integrations", (w) => ({ ...sendgridBody, organization_slug: w.b.slug })),
  ),
  forbidden("POST /api/integrations with X-Org-ID: B", rq("POST", "/api/integrations", sendgridBody, xOrgB)),
  forbidden(
    "PUT /api/integrations/{A mail} with body org_id B",
    rq(
      "PUT",
      (w) => `/api/integrations/${w.aMail}`,
      (w) => ({ org_id: w.b.orgId, name: "Moved" }),
    ),
  ),
  forbidden(
    "PATCH /api/integrations/{A mail} with body organization_slug B",
    rq(
      "PATCH",
      (w) => `/api/integrations/${w.aMail}`,
      (w) => ({ organization_slug: w.b.slug, name: "Moved" }),
    ),
  ),
  forbidden(
    "PATCH /api/integrations/{B mail} with body org_id B",
    rq(
      "PATCH",
      (w) => `/api/integrations/${w.bMail}`,
      (w) => ({ org_id: w.b.orgId, name: "Hijacked" }),
    ),
  ),
  forbidden(
    "DELETE /api/integrations/{A mail}?org_id=B",
    rq("DELETE", (w) => `/api/integrations/${w.aMail}?org_id=${w.b.orgId}`),
  ),
  forbidden(
    "DELETE /api/integrations/{B mail}?organization_slug=B",
    rq("DELETE", (w) => `/api/integrations/${w.bMail}?organization_slug=${w.b.slug}`),
  ),
  forbidden(
    "POST /api/integrations/{A mail}/configure/email with X-Org-ID: B",
    rq("POST", (w) => `/api/integrations/${w.aMail}/configure/email`, { from_name: "Moved" }, xOrgB),
  ),
  forbidden(
    "POST /api/integrations/sendgrid/connect?org_id=B",
    rq("POST", (w) => `/api/integrations/sendgrid/connect?org_id=${w.b.orgId}`, connectBody),
  ),
  forbidden(
    "POST /api/integrations/sendgrid/disconnect?organization_slug=B",
    rq("POST", (w) => `/api/integrations/sendgrid/disconnect?organization_slug=${w.b.slug}`),
  ),
  forbidden(
    "DELETE /api/integrations/sendgrid/disconnect?org_id=B",
    rq("DELETE", (w) => `/api/integrations/sendgrid/disconnect?org_id=${w.b.orgId}`),
  ),
  forbidden(
    "DELETE /api/integrations/sendgrid?org_id=B",
    rq("DELETE", (w) => `/api/integrations/sendgrid?org_id=${w.b.orgId}`),
  ),

  // 001: B's objects by id
  notFound(
    "GET /organization-integration/{B page}",
    rq("GET", (w) => `/organization-integration/${w.bPage}`),
  ),
  notFound(
    "GET /organization-integration/{B mail}",
    rq("GET", (w) => `/organization-integration/${w.bMail}`),
  ),
  notFound(
    "POST /update-organization-integration {id: B page}",
    rq("POST", "/update-organization-integration", (w) => ({ id: w.bPage, name: "Hijacked" })),
  ),
  notFound(
    "POST /update-organization-integration {id: B mail, api_key}",
    rq("POST", "/update-organization-integration", (w) => ({ id: w.bMail, api_key: "SG.x" })),
  ),
  notFound(
    "POST /toggle-organization-integration {id: B page}",
    rq("POST", "/toggle-organization-integration", (w) => ({ id: w.bPage, active: false })),
  ),
  notFound(
    "POST /delete-organization-integration {id: B page}",
    rq("POST", "/delete-organization-integration", (w) => ({ id: w.bPage })),
  ),
  notFound(
    "POST /delete-organization-integration {id: B mail}",
    rq("POST", "/delete-organization-integration", (w) => ({ id: w.bMail })),
  ),

  // 001: B's organization named
  forbidden(
    "GET /organization-integrations?org_id=B",
    rq("GET", (w) => `/organization-integrations?org_id=${w.b.orgId}`),
  ),
  forbidden(
    "GET /organization-integrations with X-Org-ID: B",
    rq("GET", "/organization-integrations", undefined, xOrgB),
  ),
  forbidden(
    "GET /organization-integration/{B page}?org_id=B",
    rq("GET", (w) => `/organization-integration/${w.bPage}?org_id=${w.b.orgId}`),
  ),
  forbidden(
    "POST /create-organization-integration {org_id: B}",
    rq("POST", "/create-organization-integration", (w) => ({ ...pageBody, org_id: w.b.orgId })),
  ),
  forbidden(
    "POST /create-organization-integration?org_id=B",
    rq("POST", (w) => `/create-organization-integration?org_id=${w.b.orgId}`, pageBody),
  ),
  forbidden(
    "POST /update-organization-integration {id: B page, org_id: B}",
    rq("POST", "/update-organization-integration", (w) => ({
      id: w.bPage,
      org_id: w.b.orgId,
      name: "Hijacked",
    })),
  ),
  forbidden(
    "POST /update-organization-integration {id: A mail, org_id: B}",
    rq("POST", "/update-organization-integration", (w) => ({
      id: w.aMail,
      org_id: w.b.orgId,
      name: "Moved",
    })),
  ),
  forbidden(
    "POST /toggle-organization-integration {id: B page, org_id: B}",
    rq("POST", "/toggle-organization-integration", (w) => ({
      id: w.bPage,
      org_id: w.b.orgId,
      active: false,
    })),
  ),
  forbidden(
    "POST /toggle-organization-integration {id: A page, org_id: B}",
    rq("POST", "/toggle-organization-integration", (w) => ({
      id: w.aPage,
      org_id: w.b.orgId,
      active: false,
    })),
  ),
  forbidden(
    "POST /delete-organization-integration {id: B page, org_id: B}",
    rq("POST", "/delete-organization-integration", (w) => ({ id: w.bPage, org_id: w.b.orgId })),
  ),
  forbidden(
    "POST /delete-organization-integration {id: A page, org_id: B}",
    rq("POST", "/delete-organization-integration", (w) => ({ id: w.aPage, org_id: w.b.orgId })),
  ),
];

/** Requests that name B's organization in a body field of a route that otherwise needs none. */
const IGNORED_ORG_IN_BODY: Case[] = [
  forbidden(
    "POST /api/integrations/{A mail}/configure/email with body org_id B",
    rq(
      "POST",
      (w) => `/api/integrations/${w.aMail}/configure/email`,
      (w) => ({ org_id: w.b.orgId, from_name: "M" }),
    ),
  ),
  forbidden(
    "POST /api/integrations/{A mail}/configure/email with body organization_slug B",
    rq(
      "POST",
      (w) => `/api/integrations/${w.aMail}/configure/email`,
      (w) => ({ organization_slug: w.b.slug }),
    ),
  ),
  forbidden(
    "POST /api/integrations/sendgrid/connect with body org_id B",
    rq("POST", "/api/integrations/sendgrid/connect", (w) => ({ ...connectBody, org_id: w.b.orgId })),
  ),
];

const ROLES = [
  { role: "admin", key: () => w.a.adminKey },
  { role: "member", key: () => w.a.memberKey },
] as const;

describe.each(ROLES)("A's $role key, naming B's objects or organization", ({ role, key }) => {
  /** A member key may not write at all: 403 before anything else is looked at. */
  const expected = (c: Case) => {
    const req = c.req(w);
    return role === "member" && !READS.has(req.method) ? 403 : c.expect;
  };

  it.each(CASES)("$name → 404/403, nothing of B's", async (c) => {
    const r = await send(c.req(w), key());
    expect(r.status).toBe(expected(c));
    expect(r.json?.code).toBe(expected(c) === 404 ? "NOT_FOUND" : "FORBIDDEN");
    expectNothingOfB(r);
  });

  it.each(IGNORED_ORG_IN_BODY)("$name: nothing of B's in the response", async (c) => {
    const r = await send(c.req(w), key());
    expect(r.status).toBeLessThan(500);
    expectNothingOfB(r);
  });

  it.each(IGNORED_ORG_IN_BODY)("$name → 403", async (c) => {
    const r = await send(c.req(w), key());
    expect(r.status).toBe(403);
  });
});

// ---- A's lists, stats and logs hold nothing of B's ------------------------------------------

const LISTS: { name: string; path: (w: World) => string; holdsA: boolean }[] = [
  { name: "GET /api/integrations", path: () => "/api/integrations", holdsA: true },
  {
    name: "GET /api/integrations?type=facebook",
    path: () => "/api/integrations?type=facebook",
    holdsA: true,
  },
  { name: "GET /api/integrations?type=email", path: () => "/api/integrations?type=email", holdsA: true },
  {
    name: "GET /api/integrations?provider=sendgrid",
    path: () => "/api/integrations?provider=sendgrid",
    holdsA: true,
  },
  {
    name: "GET /api/integrations?active_only=true&limit=200",
    path: () => "/api/integrations?active_only=true&limit=200",
    holdsA: true,
  },
  {
    name: "GET /api/integrations?org_id=A",
    path: (w) => `/api/integrations?org_id=${w.a.orgId}`,
    holdsA: true,
  },
  { name: "GET /api/integrations/connected", path: () => "/api/integrations/connected", holdsA: true },
  { name: "GET /api/integrations/stats", path: () => "/api/integrations/stats", holdsA: false },
  { name: "GET /api/integrations/{A mail}", path: (w) => `/api/integrations/${w.aMail}`, holdsA: true },
  {
    name: "GET /api/integrations/{A mail}/logs",
    path: (w) => `/api/integrations/${w.aMail}/logs`,
    holdsA: true,
  },
  { name: "GET /organization-integrations", path: () => "/organization-integrations", holdsA: true },
  {
    name: "GET /organization-integrations?active_only=true",
    path: () => "/organization-integrations?active_only=true",
    holdsA: true,
  },
  {
    name: "GET /organization-integration/{A page}",
    path: (w) => `/organization-integration/${w.aPage}`,
    holdsA: true,
  },
];

describe.each(ROLES)("A's $role key: lists and stats", ({ key }) => {
  it.each(LISTS)("$name holds A's data and nothing of B's", async ({ path, holdsA }) => {
    const r = await call("GET", path(w), { key: key() });
    expect(r.status).toBe(200);
    expectNothingOfB(r);
    if (holdsA) expect(r.text).toMatch(new RegExp(`${w.aMail}|${w.aPage}`));
  });

  it("stats count A's integrations only", async () => {
    const r = await call("GET", "/api/integrations/stats", { key: key() });
    const mine = await countRows("SELECT count(*) AS n FROM integrations WHERE org_id = ?", w.a.orgId);
    expect(r.json.total).toBe(mine);
  });
});

describe("A's audit log", () => {
  it("with A's admin key holds A's entries and nothing of B's", async () => {
    const r = await call("GET", "/api/audit-logs?limit=200", { key: w.a.adminKey });
    expect(r.status).toBe(200);
    expectNothingOfB(r);
    expect(r.json.audit_logs.map((e: { target_id: string }) => e.target_id)).toContain(w.aMail);
  });

  it("is refused to A's member key", async () => {
    const r = await call("GET", "/api/audit-logs", { key: w.a.memberKey });
    expect(r.status).toBe(403);
    expectNothingOfB(r);
  });
});

// ---- the generated matrix: every operation of /openapi.json -------------------------------

/** Every operation the worker serves: the document describes them all (test/openapi.test.ts). */
const OPERATIONS: Operation[] = operationsOf(apiDocument());
const opName = (op: Operation) => `${op.method} ${op.path}`;

/** The checks each operation went through, to show none was left out. */
const exercised = new Map<string, Set<string>>();
const mark = (op: Operation, check: string) => {
  const set = exercised.get(opName(op)) ?? new Set<string>();
  set.add(check);
  exercised.set(opName(op), set);
};

/** Bodies that pass validation, so a lookup (not the schema) decides the answer. */
const BODIES: Record<string, (o: OrgObjects) => unknown> = {
  "POST /api/integrations/{provider}/connect": () => connectBody,
  "PUT /api/integrations/{id}": () => ({ name: "Hijacked" }),
  "PATCH /api/integrations/{id}": () => ({ name: "Hijacked" }),
  "POST /api/integrations/{id}/configure/{type}": () => ({ from_name: "Hijacked" }),
  "PUT /api/integrations/{id}/sync-schedule": () => ({ interval_minutes: 60 }),
  "POST /api/integrations/{id}/accounts/select": () => ({ account_id: "100000000000001" }),
  "POST /api/integrations/{id}/records/{entity}": () => ({
    data: { name: "Hijack Ltd", email: "h@alpha.example" },
  }),
  "POST /api/integrations/{id}/calendar/availability": () => ({
    time_min: "2026-12-07T09:00:00Z",
    time_max: "2026-12-07T17:00:00Z",
  }),
  "PATCH /api/event-endpoints/{id}": () => ({ description: "Hijacked" }),
  "POST /update-organization-integration": (o) => ({ id: o.integration.facebook, name: "Hijacked" }),
  "POST /toggle-organization-integration": (o) => ({ id: o.integration.facebook, active: false }),
  "POST /delete-organization-integration": (o) => ({ id: o.integration.facebook }),
  "POST /api/messages": (o) => ({
    integration_id: o.integration.sendgrid,
    to: "x@alpha.example",
    text: "hi",
  }),
};
/** The body field that names an integration, per operation. */
const BODY_OBJECT: Record<string, string> = {
  "POST /update-organization-integration": "id",
  "POST /toggle-organization-integration": "id",
  "POST /delete-organization-integration": "id",
  "POST /api/messages": "integration_id",
};
/** Lists whose `integration_id` filters: B's id finds nothing (200, empty) rather than 404. */
const FILTERS = new Set(["GET /api/messages", "GET /api/integrations/{provider}/webhook-logs"]);
/** Reads a member key may not make: starting an OAuth flow connects an integration. */
const ADMIN_READS = new Set(["GET /api/integrations/{provider}/auth", "GET /api/audit-logs"]);

/**
 * `DELETE /api/integrations/{id}` takes a provider id in place of the integration's (004), and
 * then `integration_id` names the integration: that is the form whose object is swapped.
 */
const providerInPath = (op: Operation, param: string) =>
  param === "id" &&
  opName(op) === "DELETE /api/integrations/{id}" &&
  op.params.some((q) => q.name === "integration_id");

/** The parameters of `op` that name an object of the organization (`body.id` for the 001 writes). */
function objectParams(op: Operation): string[] {
  const names = op.params
    .filter((p) => p.in === "path" || p.name === "integration_id")
    .filter((p) => !providerInPath(op, p.name))
    .filter((p) => objectValue(op, p.name, ANY_OBJECTS) !== undefined)
    .map((p) => p.name);
  const field = BODY_OBJECT[opName(op)];
  return field ? [...names, `body.${field}`] : names;
}

/** A request for `op` on `own`'s objects; `swap` names `other`'s object in that one parameter. */
function requestFor(op: Operation, own: OrgObjects, swap?: { param: string; other: OrgObjects }): Req {
  let path = op.path;
  const query: string[] = [];
  for (const p of op.params) {
    const from = swap?.param === p.name ? swap.other : own;
    const value = providerInPath(op, p.name)
      ? providerFor(op.path)
      : (objectValue(op, p.name, from) ?? plainValue(op, p.name));
    if (p.in === "path") {
      if (value === undefined) throw new Error(`${opName(op)}: no value for path parameter ${p.name}`);
      path = path.replace(`{${p.name}}`, p.name === "rest" ? value : encodeURIComponent(value));
    } else if (p.in === "query" && p.name === "integration_id" && value !== undefined) {
      query.push(`integration_id=${encodeURIComponent(value)}`);
    }
  }
  const body = BODIES[opName(op)];
  const bodyOf = swap?.param.startsWith("body.") ? swap.other : own;
  return {
    method: op.method,
    path: query.length ? `${path}?${query.join("&")}` : path,
    body: body ? body(bodyOf) : op.hasBody ? {} : undefined,
  };
}

const orgOps = OPERATIONS.filter((op) => op.auth === "org");
const adminOps = OPERATIONS.filter((op) => op.auth === "admin");
const publicOps = OPERATIONS.filter((op) => op.auth === "none");
const swaps = orgOps.flatMap((op) => objectParams(op).map((param) => ({ op, param })));
const swapName = ({ op, param }: { op: Operation; param: string }) => `${opName(op)} with B's ${param}`;

describe("generated from /openapi.json: every organization operation", () => {
  it.each(orgOps.map((op) => [opName(op), op] as const))("%s without a key → 401", async (_n, op) => {
    mark(op, "no key");
    const r = await send(requestFor(op, w.aObj), null);
    expect(r.status).toBe(401);
    expect(r.json?.code).toBe("UNAUTHORIZED");
  });

  it.each(orgOps.map((op) => [opName(op), op] as const))(
    "%s naming B in X-Org-ID → 403, nothing of B's",
    async (_n, op) => {
      mark(op, "other organization");
      const r = await send({ ...requestFor(op, w.aObj), headers: xOrgB(w) }, w.a.adminKey);
      expect(r.status).toBe(403);
      expect(r.json?.code).toBe("FORBIDDEN");
      expectNothingOfB(r);
    },
  );

  const writes = orgOps.filter((op) => !READS.has(op.method));
  it.each(writes.map((op) => [opName(op), op] as const))(
    "%s with A's member key → 403 and nothing written",
    async (_n, op) => {
      mark(op, "member write");
      const before = await aState();
      const r = await send(requestFor(op, w.aObj), w.a.memberKey);
      expect(r.status).toBe(403);
      expect(r.json?.code).toBe("FORBIDDEN");
      expect(await aState()).toEqual(before);
    },
  );

  describe.each(ROLES)("A's $role key", ({ role, key }) => {
    it.each(swaps.map((s) => [swapName(s), s] as const))(
      "%s → 404 (a filter: none), nothing of B's",
      async (_n, s) => {
        mark(s.op, `B's ${s.param}`);
        const r = await send(requestFor(s.op, w.aObj, { param: s.param, other: w.bObj }), key());
        const refused = !READS.has(s.op.method) || ADMIN_READS.has(opName(s.op));
        const expected = role === "member" && refused ? 403 : 404;
        if (FILTERS.has(opName(s.op))) {
          expect(r.status).toBe(200);
          expect(Object.values(r.json).find(Array.isArray)).toEqual([]);
        } else {
          expect(r.status).toBe(expected);
          expect(r.json?.code).toBe(expected === 404 ? "NOT_FOUND" : "FORBIDDEN");
        }
        expectNothingOfB(r);
      },
    );

    const lists = orgOps.filter((op) => READS.has(op.method) && objectParams(op).length === 0);
    it.each(lists.map((op) => [opName(op), op] as const))("%s holds nothing of B's", async (_n, op) => {
      mark(op, "list");
      const r = await send(requestFor(op, w.aObj), key());
      expect(r.status).toBeLessThan(500);
      expectNothingOfB(r);
    });
  });
});

describe("generated from /openapi.json: every operator operation", () => {
  const adminReq = (op: Operation): Req => ({
    method: op.method,
    path: op.path.replace("{id}", w.b.orgId).replace("{keyId}", "key_x"),
    body: op.hasBody ? { name: "Sneaky", role: "admin" } : undefined,
  });
  it.each(adminOps.map((op) => [opName(op), op] as const))(
    "%s without a key, or with A's keys → 401, nothing of B's",
    async (_n, op) => {
      mark(op, "operator");
      for (const key of [null, w.a.adminKey, w.a.memberKey]) {
        const r = await send(adminReq(op), key);
        expect(r.status, String(key)).toBe(401);
        expect(r.json?.code).toBe("UNAUTHORIZED");
        expectNothingOfB(r);
      }
    },
  );
});

describe("generated from /openapi.json: coverage", () => {
  it("the public operations are exactly those listed with a reason", () => {
    expect(publicOps.map(opName).sort()).toEqual(Object.keys(PUBLIC).sort());
  });

  it("every other operation went through each check that applies to it", () => {
    const missing: string[] = [];
    for (const op of [...orgOps, ...adminOps]) {
      const want =
        op.auth === "admin"
          ? ["operator"]
          : [
              "no key",
              "other organization",
              ...(READS.has(op.method) ? [] : ["member write"]),
              ...objectParams(op).map((p) => `B's ${p}`),
              ...(READS.has(op.method) && !objectParams(op).length ? ["list"] : []),
            ];
      const got = exercised.get(opName(op)) ?? new Set();
      for (const check of want) if (!got.has(check)) missing.push(`${opName(op)}: ${check}`);
    }
    expect(missing).toEqual([]);
    expect(exercised.size).toBe(orgOps.length + adminOps.length);
  });
});

// ---- B after the walk ----------------------------------------------------------------------

describe("B after A's walk", () => {
  it("B's integrations, lists, logs and stats read exactly as before", async () => {
    expect(await bSnapshot()).toEqual(bBefore);
  });

  it("B still has its integrations, with their secrets intact", async () => {
    expect(await bSecrets()).toEqual({
      ...bOtherSecrets,
      [w.bMail]: { api_key: B_MAIL_SECRET },
      [w.bPage]: { access_token: B_PAGE_SECRET },
    });
  });

  it("B's audit log has no entry made by any of A's keys", async () => {
    const actors = await aActors();
    expect(actors.length).toBeGreaterThanOrEqual(2);
    const { results } = await env.DB.prepare("SELECT actor FROM audit_logs WHERE org_id = ?")
      .bind(w.b.orgId)
      .all<{ actor: string }>();
    expect(results.length).toBeGreaterThan(0);
    for (const { actor } of results) expect(actors).not.toContain(actor);
  });

  it("no audit or log row anywhere targets B's integrations on A's behalf", async () => {
    const actors = await aActors();
    const placeholders = actors.map(() => "?").join(",");
    expect(
      await countRows(
        `SELECT count(*) AS n FROM audit_logs WHERE target_id IN (?, ?) AND actor IN (${placeholders})`,
        w.bMail,
        w.bPage,
        ...actors,
      ),
    ).toBe(0);
    expect(
      await countRows(
        "SELECT count(*) AS n FROM integration_logs WHERE integration_id IN (?, ?) AND org_id <> ?",
        w.bMail,
        w.bPage,
        w.b.orgId,
      ),
    ).toBe(0);
  });
});

// ---- authentication ------------------------------------------------------------------------

/** Every organization route once, on A's own objects. */
const ORG_ROUTES: Route[] = [
  route("GET /api/integrations", rq("GET", "/api/integrations")),
  route("POST /api/integrations", rq("POST", "/api/integrations", sendgridBody)),
  route("GET /api/integrations/stats", rq("GET", "/api/integrations/stats")),
  route("GET /api/integrations/connected", rq("GET", "/api/integrations/connected")),
  route(
    "GET /api/integrations/{id}",
    rq("GET", (w) => `/api/integrations/${w.aMail}`),
  ),
  route(
    "PUT /api/integrations/{id}",
    rq("PUT", (w) => `/api/integrations/${w.aMail}`, { name: "X" }),
  ),
  route(
    "PATCH /api/integrations/{id}",
    rq("PATCH", (w) => `/api/integrations/${w.aMail}`, { name: "X" }),
  ),
  route(
    "DELETE /api/integrations/{id}",
    rq("DELETE", (w) => `/api/integrations/${w.aMail}`),
  ),
  route(
    "POST /api/integrations/{id}/configure/email",
    rq("POST", (w) => `/api/integrations/${w.aMail}/configure/email`, { from_name: "X" }),
  ),
  route(
    "GET /api/integrations/{id}/logs",
    rq("GET", (w) => `/api/integrations/${w.aMail}/logs`),
  ),
  route(
    "POST /api/integrations/sendgrid/connect",
    rq("POST", "/api/integrations/sendgrid/connect", connectBody),
  ),
  route("POST /api/integrations/sendgrid/disconnect", rq("POST", "/api/integrations/sendgrid/disconnect")),
  route(
    "DELETE /api/integrations/sendgrid/disconnect",
    rq("DELETE", "/api/integrations/sendgrid/disconnect"),
  ),
  route("DELETE /api/integrations/sendgrid", rq("DELETE", "/api/integrations/sendgrid")),
  route("GET /api/audit-logs", rq("GET", "/api/audit-logs")),
  route("GET /organization-integrations", rq("GET", "/organization-integrations")),
  route(
    "GET /organization-integration/{id}",
    rq("GET", (w) => `/organization-integration/${w.aPage}`),
  ),
  route("POST /create-organization-integration", rq("POST", "/create-organization-integration", pageBody)),
  route(
    "POST /update-organization-integration",
    rq("POST", "/update-organization-integration", (w) => ({ id: w.aPage, name: "X" })),
  ),
  route(
    "POST /toggle-organization-integration",
    rq("POST", "/toggle-organization-integration", (w) => ({ id: w.aPage, active: false })),
  ),
  route(
    "POST /delete-organization-integration",
    rq("POST", "/delete-organization-integration", (w) => ({ id: w.aPage })),
  ),
];
const ORG_WRITES = ORG_ROUTES.filter((r) => !READS.has(r.method));

/** A's rows as stored, to show a refused request wrote nothing. */
const aState = async () => ({
  integrations: (
    await env.DB.prepare("SELECT * FROM integrations WHERE org_id = ? ORDER BY id").bind(w.a.orgId).all()
  ).results,
  audit: await countRows("SELECT count(*) AS n FROM audit_logs WHERE org_id = ?", w.a.orgId),
  logs: await countRows("SELECT count(*) AS n FROM integration_logs WHERE org_id = ?", w.a.orgId),
});

describe("authentication", () => {
  it.each(ORG_ROUTES)("$name without a key → 401", async ({ req }) => {
    const r = await send(req(w), null);
    expect(r.status).toBe(401);
    expect(r.json.code).toBe("UNAUTHORIZED");
  });

  it.each(ORG_ROUTES)("$name with the ADMIN_TOKEN → 401", async ({ req }) => {
    const r = await send(req(w), ADMIN_TOKEN);
    expect(r.status).toBe(401);
    expect(r.json.code).toBe("UNAUTHORIZED");
  });

  it.each([
    ["an unknown sbk_ key", () => `sbk_${crypto.randomUUID().replace(/-/g, "")}`],
    [
      "A's key with one character changed",
      () => `${w.a.adminKey.slice(0, -1)}${w.a.adminKey.endsWith("A") ? "B" : "A"}`,
    ],
    ["a bare prefix", () => w.a.adminKey.slice(0, 12)],
  ])("%s → 401", async (_label, key) => {
    const r = await call("GET", "/api/integrations", { key: key() });
    expect(r.status).toBe(401);
  });

  it("a non-Bearer Authorization header → 401", async () => {
    const r = await call("GET", "/api/integrations", { headers: { authorization: `Basic ${w.a.adminKey}` } });
    expect(r.status).toBe(401);
  });

  describe("a revoked key", () => {
    let revoked: string;
    beforeAll(async () => {
      const created = await call("POST", `/admin/organizations/${w.a.orgId}/api-keys`, {
        key: ADMIN_TOKEN,
        body: { role: "admin", name: "to revoke" },
      });
      expect(created.status).toBe(201);
      revoked = created.json.api_key;
      expect((await call("GET", "/api/integrations", { key: revoked })).status).toBe(200);
      const r = await call("DELETE", `/admin/organizations/${w.a.orgId}/api-keys/${created.json.key.id}`, {
        key: ADMIN_TOKEN,
      });
      expect(r.status).toBe(200);
      expect(r.json.key.revoked_at).toEqual(expect.any(String));
    });

    it.each(ORG_ROUTES)("$name → 401 and nothing written", async ({ req }) => {
      const before = await aState();
      const r = await send(req(w), revoked);
      expect(r.status).toBe(401);
      expect(r.json.code).toBe("UNAUTHORIZED");
      expect(await aState()).toEqual(before);
    });
  });

  it.each(ORG_WRITES)("$name with A's member key → 403 and nothing written", async ({ req }) => {
    const before = await aState();
    const r = await send(req(w), w.a.memberKey);
    expect(r.status).toBe(403);
    expect(r.json.code).toBe("FORBIDDEN");
    expect(await aState()).toEqual(before);
  });

  const ADMIN_ROUTES: Route[] = [
    route("GET /admin/organizations", rq("GET", "/admin/organizations")),
    route(
      "POST /admin/organizations",
      rq("POST", "/admin/organizations", { name: "Sneaky", slug: "sneaky-org" }),
    ),
    route(
      "GET /admin/organizations/{A}",
      rq("GET", (w) => `/admin/organizations/${w.a.orgId}`),
    ),
    route(
      "GET /admin/organizations/{B}",
      rq("GET", (w) => `/admin/organizations/${w.b.orgId}`),
    ),
    route(
      "DELETE /admin/organizations/{B}",
      rq("DELETE", (w) => `/admin/organizations/${w.b.orgId}`),
    ),
    route(
      "POST /admin/organizations/{A}/api-keys",
      rq("POST", (w) => `/admin/organizations/${w.a.orgId}/api-keys`, { role: "admin" }),
    ),
    route(
      "GET /admin/organizations/{B}/api-keys",
      rq("GET", (w) => `/admin/organizations/${w.b.orgId}/api-keys`),
    ),
    route(
      "DELETE /admin/organizations/{B}/api-keys/{id}",
      rq("DELETE", (w) => `/admin/organizations/${w.b.orgId}/api-keys/key_x`),
    ),
    route(
      "POST /admin/organizations/{B}/rotate-key",
      rq("POST", (w) => `/admin/organizations/${w.b.orgId}/rotate-key`),
    ),
    route(
      "GET /admin/organizations/{B}/key-rotation",
      rq("GET", (w) => `/admin/organizations/${w.b.orgId}/key-rotation`),
    ),
    route("GET /admin/keys", rq("GET", "/admin/keys")),
    route("POST /admin/keys/rewrap", rq("POST", "/admin/keys/rewrap")),
  ];

  describe.each(ROLES)("operator routes with A's $role key", ({ key }) => {
    it.each(ADMIN_ROUTES)("$name → 401, nothing of B's", async ({ req }) => {
      const r = await send(req(w), key());
      expect(r.status).toBe(401);
      expect(r.json.code).toBe("UNAUTHORIZED");
      expectNothingOfB(r);
    });
  });

  it("the refused operator calls changed nothing: B exists with its keys, no new organization", async () => {
    expect(await countRows("SELECT count(*) AS n FROM organizations WHERE id = ?", w.b.orgId)).toBe(1);
    expect(await countRows("SELECT count(*) AS n FROM organizations WHERE slug = 'sneaky-org'")).toBe(0);
    expect(await countRows("SELECT count(*) AS n FROM key_rotations WHERE org_id = ?", w.b.orgId)).toBe(0);
    expect(
      await countRows(
        "SELECT count(*) AS n FROM api_keys WHERE org_id = ? AND revoked_at IS NOT NULL",
        w.b.orgId,
      ),
    ).toBe(0);
    expect(await bSnapshot()).toEqual(bBefore);
  });
});
