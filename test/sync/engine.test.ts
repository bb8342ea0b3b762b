/**
 * The sync engine end to end: every provider and entity syncs through the API, the real queue
 * and the sandbox; incremental runs fetch only what changed; deletions arrive as tombstones or
 * by a full run's sweep; 429s pause and resume; a crashed or repeated delivery never
 * duplicates a record; schedules start once; pushes are idempotent.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { createServices } from "../../src/services/index.ts";
import { call, newIntegration, newOrg, type TestOrg } from "../harness.ts";
import {
  allRecords,
  armFault,
  shapeData,
  startSync,
  syncAndWait,
  waitForJob,
  waitForPush,
} from "./helpers.ts";

vi.setConfig({ testTimeout: 120_000 });

let seq = 0;
const uniq = () => `${Date.now().toString(36)}${(++seq).toString(36)}`;
const hex = (n: number) => {
  let s = "";
  while (s.length < n) s += Math.floor(Math.random() * 16).toString(16);
  return s;
};

interface Case {
  provider: string;
  /** A working integration with credentials no other test uses, and its sandbox account key. */
  make: () => { body: Record<string, unknown>; account: string };
  /** The entity the incremental and deletion tests use, and how its deletions arrive. */
  main: string;
  deletions: "tombstones" | "sweep";
  incremental: boolean;
  entities: string[];
  /** Items of an entity the provider's list leaves out by design (Odoo's vendors and vendor bills). */
  excluded?: Record<string, (n: number) => boolean>;
}

const cases: Case[] = [
  {
    provider: "hubspot",
    make: () => {
      const token = `pat-na1-${uniq()}`;
      return { body: { provider: "hubspot", private_app_token: token }, account: token };
    },
    main: "contacts",
    deletions: "tombstones",
    incremental: true,
    entities: ["contacts", "companies", "products", "invoices"],
  },
  {
    provider: "salesforce",
    make: () => {
      const org = `00D${hex(12)}`;
      return {
        body: {
          provider: "salesforce",
          access_token: `${org}!AQ0AQ.session`,
          instance_url: "https://acme.my.salesforce.com",
        },
        account: org,
      };
    },
    main: "accounts",
    deletions: "tombstones",
    incremental: true,
    entities: ["accounts", "contacts", "products"],
  },
  {
    provider: "odoo_crm",
    make: () => {
      const db = `acme${uniq()}`;
      return {
        body: {
          provider: "odoo_crm",
          api_base_url: "https://acme.odoo.com",
          database: db,
          username: "admin@example.com",
          api_key: hex(40),
        },
        account: db,
      };
    },
    main: "products",
    deletions: "sweep",
    incremental: true,
    entities: ["customers", "products", "invoices"],
    excluded: { customers: (n) => n % 20 === 0, invoices: (n) => n % 25 === 0 },
  },
  {
    provider: "quickbooks",
    make: () => {
      const realm = `93414530${Math.floor(Math.random() * 1e8)}`;
      return {
        body: {
          provider: "quickbooks",
          access_token: `eyJ.${uniq()}`,
          realm_id: realm,
          environment: "sandbox",
        },
        account: realm,
      };
    },
    main: "customers",
    deletions: "tombstones",
    incremental: true,
    entities: ["customers", "products", "invoices"],
  },
  {
    provider: "xero",
    make: () => {
      const tenant = crypto.randomUUID();
      return {
        body: { provider: "xero", access_token: `eyJ.${uniq()}`, tenant_id: tenant },
        account: tenant,
      };
    },
    main: "invoices",
    deletions: "tombstones",
    incremental: true,
    entities: ["customers", "products", "invoices"],
  },
  {
    provider: "sql_accounting",
    make: () => {
      const access = `${hex(32)}.sql.my/APIUSER`;
      return {
        body: { provider: "sql_accounting", access_key: access, api_key: "sql-secret-key-not-real" },
        account: access,
      };
    },
    main: "customers",
    deletions: "sweep",
    incremental: true,
    entities: ["customers", "products", "invoices"],
  },
  {
    provider: "autocount",
    make: () => {
      const keyId = hex(8);
      return {
        body: { provider: "autocount", account_book_id: "12345", key_id: keyId, api_key: "ac-key-sandbox" },
        account: `${keyId}:12345`,
      };
    },
    main: "invoices",
    deletions: "sweep",
    incremental: true,
    entities: ["customers", "products", "invoices"],
  },
];

let org: TestOrg;
beforeAll(async () => {
  org = await newOrg("Sync engine");
});

describe.each(cases)("$provider", (c) => {
  it("syncs every entity in full, then only what changed, and finds deletions", async () => {
    const { body, account } = c.make();
    const integration = await newIntegration(org, { ...body, name: `sync ${uniq()}` });
    for (const entity of c.entities) await shapeData(c.provider, entity, { account, count: 60 });
    await shapeData(c.provider, c.main, { account, count: 130 });

    let firstDone = 0;
    for (const entity of c.entities) {
      const job = await syncAndWait(org, integration.id, entity);
      expect(job, entity).toMatchObject({ status: "success", mode: "full", direction: "inbound" });
      firstDone = Math.max(firstDone, Date.parse(job.completed_at));
      const size = entity === c.main ? 130 : 60;
      const skip = c.excluded?.[entity];
      const expected = skip
        ? Array.from({ length: size }, (_, i) => i + 1).filter((n) => !skip(n)).length
        : size;
      expect(job.records_synced, entity).toBe(expected);
      const rows = await allRecords(org, integration.id, entity);
      expect(rows.length, entity).toBe(expected);
      expect(new Set(rows.map((r) => r.external_id)).size).toBe(expected);
      expect(rows[0]?.data.external_provider).toBe(c.provider);
    }

    // Changes at the provider: 3 changed, 2 new, 1 deleted.
    const changed = await shapeData(c.provider, c.main, {
      account,
      touch: 3,
      create: 2,
      ...(c.deletions === "tombstones" ? { remove: 1 } : { purge: 1 }),
    });
    // Everything the first syncs wrote is at or before their end; the second sync writes later.
    const before = new Date(firstDone + 1).toISOString();
    const second = await syncAndWait(
      org,
      integration.id,
      c.main,
      c.deletions === "sweep" ? { full: true } : undefined,
    );
    expect(second.status).toBe("success");
    if (c.deletions === "tombstones" && c.incremental) {
      expect(second.mode).toBe("incremental");
      expect(second.records_synced).toBeLessThanOrEqual(6);
    }
    expect(second.records_deleted).toBe(1);
    const live = await allRecords(org, integration.id, c.main);
    expect(live.length).toBe(131);
    expect(new Set(live.map((r) => r.external_id)).size).toBe(131);
    const all = await allRecords(org, integration.id, c.main, "&include_deleted=true");
    expect(all.filter((r) => r.deleted_at).length).toBe(1);
    // Only what changed moved `updated_at`.
    const recent = await allRecords(org, integration.id, c.main, `&updated_since=${before}`);
    expect(recent.length).toBe(changed.touched.length + changed.created.length);

    if (c.deletions === "sweep" && c.incremental) {
      await shapeData(c.provider, c.main, { account, touch: 1 });
      const third = await syncAndWait(org, integration.id, c.main);
      expect(third).toMatchObject({ status: "success", mode: "incremental" });
      expect(third.records_synced).toBeLessThan(131);
    }

    const status = await call(
      "GET",
      `/api/integrations/${c.provider}/sync-status?integration_id=${integration.id}`,
      {
        key: org.memberKey,
      },
    );
    expect(status.status).toBe(200);
    const main = status.json.entities.find((e: { entity: string }) => e.entity === c.main);
    expect(main.state).toBe("success");
    expect(main.last_job.records_synced).toBeGreaterThan(0);
    expect(status.json.last_sync_at).not.toBeNull();
  });
});

describe("engine", () => {
  const hubspot = async (count: number) => {
    const token = `pat-na1-${uniq()}`;
    const integration = await newIntegration(org, {
      provider: "hubspot",
      private_app_token: token,
      name: `hs ${uniq()}`,
    });
    await shapeData("hubspot", "contacts", { account: token, count });
    return { integration, token };
  };

  it("a 429 pauses the job until Retry-After, then it resumes and completes", async () => {
    const { integration } = await hubspot(250);
    await armFault("hubspot", 429, 1, 2);
    const job = await startSync(org, integration.id, "contacts");
    const paused = await waitForJob(org, integration.id, job.id, ["paused"]);
    expect(paused.resume_at).not.toBeNull();
    expect(paused.error_message).toMatch(/^Paused/);
    const done = await waitForJob(org, integration.id, job.id);
    expect(done).toMatchObject({ status: "success", records_synced: 250 });
    expect((await allRecords(org, integration.id, "contacts")).length).toBe(250);
  });

  it("a transient failure is retried; refused credentials fail the job with the reason", async () => {
    const { integration } = await hubspot(30);
    await armFault("hubspot", 503, 1);
    const ok = await syncAndWait(org, integration.id, "contacts");
    expect(ok.status).toBe("success");

    const bad = await newIntegration(org, {
      provider: "hubspot",
      private_app_token: "pat-na1-invalid-x",
      name: `bad ${uniq()}`,
    });
    const failed = await syncAndWait(org, bad.id, "contacts");
    expect(failed.status).toBe("failed");
    expect(failed.error_message).toMatch(/HubSpot/);
    const view = await call("GET", `/api/integrations/${bad.id}`, { key: org.adminKey });
    expect(view.json.integration.status).toBe("error");
    const events = await call("GET", "/api/events?type=sync.completed", { key: org.adminKey });
    expect(events.status).toBe(200);
    expect(JSON.stringify(events.json)).toContain(failed.id);
    // The failure is a dead letter of the job engine, with its reason.
    const dead = await call("GET", `/api/dead-letters?kind=sync.page&ref_id=${failed.id}`, {
      key: org.adminKey,
    });
    expect(dead.status).toBe(200);
    expect(dead.json.dead_letters).toEqual([
      expect.objectContaining({ kind: "sync.page", ref_id: failed.id, cause: "permanent", attempts: 1 }),
    ]);
    expect(dead.json.dead_letters[0].reason).toBe(failed.error_message);
  });

  it("lost and repeated queue deliveries never duplicate a record", async () => {
    const sent: { body: unknown }[] = [];
    const queue = {
      send: async (body: unknown) => {
        sent.push({ body });
      },
      sendBatch: async (msgs: { body: unknown }[]) => {
        sent.push(...msgs);
      },
    } as unknown as Queue;
    const services = createServices({ ...env, JOBS: queue } as Env, "req_sync_crash");
    const { integration } = await hubspot(230);
    const row = await services.integrations.get(org.orgId, integration.id);
    const { job } = await services.sync.start(row, "contacts", { trigger: "manual", actor: "test" });
    const log = { info() {}, warn() {}, error() {}, child: () => log } as unknown as Parameters<
      typeof services.sync.processPage
    >[3];
    // Every page delivered twice, concurrently.
    await Promise.all([
      services.sync.processPage(org.orgId, job.id, 0, log),
      services.sync.processPage(org.orgId, job.id, 0, log),
    ]);
    await services.sync.processPage(org.orgId, job.id, 0, log);
    // The message for page 1 is lost (a crash after page 0): cron drives the job again.
    sent.length = 0;
    await services.sync.redrive(Date.now() + 10 * 60_000);
    expect(sent.map((m) => m.body)).toContainEqual({
      type: "sync.page",
      orgId: org.orgId,
      jobId: job.id,
      page: 1,
    });
    for (let page = 1; page < 5; page++) {
      await services.sync.processPage(org.orgId, job.id, page, log);
      await services.sync.processPage(org.orgId, job.id, page, log);
    }
    const final = await services.sync.job(org.orgId, job.id);
    expect(final).toMatchObject({ status: "success", recordsSynced: 230 });
    const rows = await allRecords(org, integration.id, "contacts");
    expect(rows.length).toBe(230);
  });

  it("a second trigger while a job runs answers the same job", async () => {
    const { integration } = await hubspot(120);
    const [a, b] = await Promise.all([
      call("POST", `/api/integrations/hubspot/sync/customers?integration_id=${integration.id}`, {
        key: org.adminKey,
      }),
      call("POST", `/api/integrations/${integration.id}/sync/contacts`, { key: org.adminKey }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 202]);
    expect(a.json.job.id).toBe(b.json.job.id);
    await waitForJob(org, integration.id, a.json.job.id);
  });

  it("a schedule runs once even when cron fires twice", async () => {
    const { integration } = await hubspot(20);
    const put = await call("PUT", `/api/integrations/${integration.id}/sync-schedule`, {
      key: org.adminKey,
      body: { interval_minutes: 60, entities: ["contacts"] },
    });
    expect(put.status).toBe(200);
    expect(put.json.schedules).toEqual([
      expect.objectContaining({ entity: "contacts", interval_minutes: 60 }),
    ]);
    const services = createServices(env, "req_cron");
    const now = Date.now() + 61 * 60_000;
    const [one, two] = await Promise.all([services.sync.runSchedules(now), services.sync.runSchedules(now)]);
    const logs = await call("GET", `/api/integrations/${integration.id}/sync-logs?entity=contacts`, {
      key: org.adminKey,
    });
    expect(one + two).toBe(1);
    expect(logs.json.logs.filter((j: { trigger: string }) => j.trigger === "schedule").length).toBe(1);
    await waitForJob(org, integration.id, logs.json.logs[0].id);
    expect(await services.sync.runSchedules(now)).toBe(0);
  });

  it("refuses what it cannot sync, other tenants' integrations and read-only keys, writing nothing", async () => {
    const { integration } = await hubspot(5);
    const unknown = await call("POST", `/api/integrations/${integration.id}/sync/planets`, {
      key: org.adminKey,
    });
    expect(unknown.status).toBe(400);
    expect(unknown.json.issues[0].path).toBe("entity");
    const member = await call("POST", `/api/integrations/${integration.id}/sync/contacts`, {
      key: org.memberKey,
    });
    expect(member.status).toBe(403);
    const badBody = await call("POST", `/api/integrations/${integration.id}/sync/contacts`, {
      key: org.adminKey,
      body: { full: "yes" },
    });
    expect(badBody.status).toBe(400);
    const other = await newOrg("Other tenant");
    for (const [m, p] of [
      ["POST", `/api/integrations/${integration.id}/sync/contacts`],
      ["GET", `/api/integrations/${integration.id}/records/contacts`],
      ["GET", `/api/integrations/${integration.id}/sync-logs`],
      ["PUT", `/api/integrations/${integration.id}/sync-schedule`],
    ] as const) {
      const r = await call(m, p, {
        key: other.adminKey,
        body: m === "PUT" ? { interval_minutes: 60 } : undefined,
      });
      expect(r.status, p).toBe(404);
    }
    const sms = await newIntegration(org, {
      provider: "telegram",
      bot_token: `123456:${hex(35)}`,
      name: `tg ${uniq()}`,
    });
    const none = await call("POST", `/api/integrations/${sms.id}/sync/customers`, { key: org.adminKey });
    expect(none.status).toBe(400);
    const logs = await call("GET", `/api/integrations/${integration.id}/sync-logs`, { key: org.adminKey });
    expect(logs.json.logs).toEqual([]);
    const cursor = await call("GET", `/api/integrations/${integration.id}/records/contacts?cursor=nope`, {
      key: org.adminKey,
    });
    expect(cursor.status).toBe(400);
  });
});

interface PushCase {
  provider: string;
  make: Case["make"];
}

describe.each(
  cases.filter((c) =>
    ["quickbooks", "xero", "sql_accounting", "autocount"].includes(c.provider),
  ) as PushCase[],
)("push to $provider", (c) => {
  it("creates and updates a customer at the provider once per Idempotency-Key", async () => {
    const { body, account } = c.make();
    const integration = await newIntegration(org, { ...body, name: `push ${uniq()}` });
    const key = `idem-${uniq()}`;
    const data = {
      name: "Nadia Rahman",
      email: "nadia@example.com",
      phone: "+60123456789",
      company: "Rahman Sdn Bhd",
    };
    const path = `/api/integrations/${integration.id}/records/customers`;
    const first = await call("POST", path, {
      key: org.adminKey,
      body: { data },
      headers: { "idempotency-key": key },
    });
    expect(first.status, first.text).toBe(202);
    const again = await call("POST", path, {
      key: org.adminKey,
      body: { data },
      headers: { "idempotency-key": key },
    });
    expect(again.status).toBe(200);
    expect(again.json.push.id).toBe(first.json.push.id);
    const reused = await call("POST", path, {
      key: org.adminKey,
      body: { data: { ...data, name: "Someone Else" } },
      headers: { "idempotency-key": key },
    });
    expect(reused.status).toBe(409);

    const push = await waitForPush(org, integration.id, first.json.push.id);
    expect(push.status, push.error).toBe("succeeded");
    expect(push.external_id).toBeTruthy();
    const record = await call("GET", `${path}/${push.external_id}`, { key: org.adminKey });
    expect(record.status).toBe(200);
    expect(record.json.record.data).toMatchObject({ name: "Nadia Rahman", external_id: push.external_id });
    const created = await call(
      "GET",
      `/sandbox/_data/${c.provider}/customers?account=${encodeURIComponent(account)}&created`,
    );
    expect(created.json.items.length).toBe(1);

    const update = await call("POST", path, {
      key: org.adminKey,
      body: { external_id: push.external_id, data: { ...data, name: "Nadia R. Rahman" } },
      headers: { "idempotency-key": `${key}-2` },
    });
    expect(update.status, update.text).toBe(202);
    const updated = await waitForPush(org, integration.id, update.json.push.id);
    expect(updated.status, updated.error).toBe("succeeded");
    expect(updated.external_id).toBe(push.external_id);
    const after = await call(
      "GET",
      `/sandbox/_data/${c.provider}/customers?account=${encodeURIComponent(account)}&created`,
    );
    expect(after.json.items.length).toBe(1);
    expect(JSON.stringify(after.json.items[0].body)).toContain("Nadia R. Rahman");

    const invalid = await call("POST", path, {
      key: org.adminKey,
      body: { data: { email: "not-an-email" } },
      headers: { "idempotency-key": `${key}-3` },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.json.issues.map((i: { path: string }) => i.path)).toContain("data.name");
    const logs = await call("GET", `/api/integrations/${integration.id}/sync-logs?direction=outbound`, {
      key: org.adminKey,
    });
    expect(logs.json.logs.length).toBe(2);
  });
});
