/**
 * Writing only what changed, against the real D1 and queue: a full re-sync of unchanged provider
 * data writes no row of `records` (every insert, update and delete is logged by triggers on the
 * table), a changed record is the only one rewritten, a record gone from the provider is still
 * marked deleted by a full run's sweep (and stays untouched afterwards), and a page of thousands
 * of records is written in statements within D1's 100 bound parameters, which this D1 enforces.
 */
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createDb } from "../../src/db/client.ts";
import { prefixedId } from "../../src/lib/ids.ts";
import {
  type RecordWrite,
  recordHash,
  storedVersions,
  tombstoneStatement,
  UPSERT_ROWS,
  upsertParameters,
  upsertStatements,
} from "../../src/services/sync/record-writes.ts";
import { newIntegration, newOrg, type TestOrg } from "../harness.ts";
import { allRecords, shapeData, syncAndWait } from "./helpers.ts";

vi.setConfig({ testTimeout: 120_000 });

let seq = 0;
const uniq = () => `${Date.now().toString(36)}${(++seq).toString(36)}`;

/** Every row written to `records`, logged by these triggers. */
const TRIGGERS = [
  "CREATE TABLE IF NOT EXISTS test_record_writes (integration_id TEXT, op TEXT, external_id TEXT)",
  ...(
    [
      ["insert", "NEW"],
      ["update", "NEW"],
      ["delete", "OLD"],
    ] as const
  ).map(
    ([op, row]) =>
      `CREATE TRIGGER IF NOT EXISTS test_log_${op} AFTER ${op.toUpperCase()} ON records BEGIN ` +
      `INSERT INTO test_record_writes VALUES (${row}.integration_id, '${op}', ${row}.external_id); END`,
  ),
];

/** The rows written to one integration's records since its log was last cleared. */
async function writes(integrationId: string) {
  const { results } = await env.DB.prepare(
    "SELECT op, external_id FROM test_record_writes WHERE integration_id = ? ORDER BY rowid",
  )
    .bind(integrationId)
    .all<{ op: string; external_id: string }>();
  return results;
}

async function clearWrites(integrationId: string) {
  await env.DB.prepare("DELETE FROM test_record_writes WHERE integration_id = ?").bind(integrationId).run();
}

let org: TestOrg;
beforeAll(async () => {
  org = await newOrg("Sync changes");
  for (const statement of TRIGGERS) await env.DB.prepare(statement).run();
});
afterAll(async () => {
  for (const op of ["insert", "update", "delete"]) await env.DB.prepare(`DROP TRIGGER test_log_${op}`).run();
  await env.DB.prepare("DROP TABLE test_record_writes").run();
});

describe("a full re-sync", () => {
  let integrationId: string;
  let realm: string;
  beforeEach(async () => {
    realm = `93414530${Math.floor(Math.random() * 1e8)}`;
    const integration = await newIntegration(org, {
      provider: "quickbooks",
      name: `changes ${uniq()}`,
      access_token: `eyJ.${uniq()}`,
      realm_id: realm,
      environment: "sandbox",
    });
    integrationId = integration.id;
    // Two pages: QuickBooks answers 1,000 customers a page.
    await shapeData("quickbooks", "customers", { account: realm, count: 1200 });
    const first = await syncAndWait(org, integrationId, "customers", { full: true });
    expect(first).toMatchObject({ status: "success", records_synced: 1200, pages_done: 2 });
    const log = await writes(integrationId);
    expect(log.length).toBe(1200);
    expect(log.every((w) => w.op === "insert")).toBe(true);
    expect(new Set(log.map((w) => w.external_id)).size).toBe(1200);
    await clearWrites(integrationId);
  });

  it("of unchanged provider data writes no record row", async () => {
    const before = new Date().toISOString();
    const again = await syncAndWait(org, integrationId, "customers", { full: true });
    expect(again).toMatchObject({
      status: "success",
      mode: "full",
      records_synced: 1200,
      records_deleted: 0,
    });
    expect(await writes(integrationId)).toEqual([]);
    expect((await allRecords(org, integrationId, "customers")).length).toBe(1200);
    expect(await allRecords(org, integrationId, "customers", `&updated_since=${before}`)).toEqual([]);
  });

  it("rewrites a changed record and only it; a tombstone deletes once", async () => {
    const changed = await shapeData("quickbooks", "customers", { account: realm, touch: 1, remove: 1 });
    const [touched] = changed.touched.map(String);
    const [removed] = changed.removed.map(String);
    const before = new Date().toISOString();
    const again = await syncAndWait(org, integrationId, "customers", { full: true });
    expect(again).toMatchObject({ status: "success", records_synced: 1199, records_deleted: 1 });
    expect(await writes(integrationId)).toEqual([
      { op: "update", external_id: touched },
      { op: "update", external_id: removed },
    ]);
    const recent = await allRecords(
      org,
      integrationId,
      "customers",
      `&updated_since=${before}&include_deleted=true`,
    );
    expect(recent.map((r) => r.external_id).sort()).toEqual([touched, removed].sort());
    expect(recent.find((r) => r.external_id === touched)?.data.name).toMatch(/ v2$/);
    expect(recent.find((r) => r.external_id === removed)?.deleted_at).not.toBeNull();

    // Nothing changed since: the deleted record's tombstone comes again and writes nothing.
    await clearWrites(integrationId);
    const third = await syncAndWait(org, integrationId, "customers", { full: true });
    expect(third.status).toBe("success");
    expect(await writes(integrationId)).toEqual([]);
  });
});

describe("a full run's sweep (providers without tombstones)", () => {
  it("marks deleted what the provider no longer lists, without rewriting what it still does", async () => {
    const database = `changes${uniq()}`;
    const integration = await newIntegration(org, {
      provider: "odoo_crm",
      name: `sweep ${uniq()}`,
      api_base_url: "https://acme.odoo.com",
      database,
      username: "admin@example.com",
      api_key: "0123456789abcdef0123456789abcdef01234567",
    });
    await shapeData("odoo_crm", "products", { account: database, count: 130 });
    const first = await syncAndWait(org, integration.id, "products", { full: true });
    expect(first).toMatchObject({ status: "success", records_synced: 130 });
    await clearWrites(integration.id);

    const changed = await shapeData("odoo_crm", "products", { account: database, touch: 1, purge: 1 });
    const [touched] = changed.touched.map(String);
    const [purged] = changed.purged.map(String);
    const second = await syncAndWait(org, integration.id, "products", { full: true });
    expect(second).toMatchObject({ status: "success", records_synced: 129, records_deleted: 1 });
    const log = await writes(integration.id);
    expect(log.map((w) => w.op)).toEqual(["update", "update"]);
    expect(log.map((w) => w.external_id).sort()).toEqual([touched, purged].sort());
    const all = await allRecords(org, integration.id, "products", "&include_deleted=true");
    expect(all.filter((r) => r.deleted_at).map((r) => r.external_id)).toEqual([purged]);
    // The ids the run listed are dropped with its end.
    const seen = await env.DB.prepare("SELECT count(*) AS n FROM sync_seen WHERE job_id = ?")
      .bind(second.id)
      .first<{ n: number }>();
    expect(seen?.n).toBe(0);

    // Again with nothing changed: nothing is written, the deleted record stays deleted.
    await clearWrites(integration.id);
    const third = await syncAndWait(org, integration.id, "products", { full: true });
    expect(third).toMatchObject({ status: "success", records_synced: 129, records_deleted: 0 });
    expect(await writes(integration.id)).toEqual([]);
    expect((await allRecords(org, integration.id, "products")).length).toBe(129);
  });
});

describe("D1's limit of 100 bound parameters", () => {
  it("is enforced by this D1", async () => {
    const marks = Array.from({ length: 101 }, () => "?").join(", ");
    await expect(
      env.DB.prepare(`SELECT ${marks}`)
        .bind(...Array.from({ length: 101 }, (_, i) => i))
        .all(),
    ).rejects.toThrow(/too many SQL variables/);
  });

  it("holds for a page of 2,000 records: written once, then not at all", async () => {
    const db = createDb(env.DB);
    const scope = { orgId: org.orgId, integrationId: crypto.randomUUID(), entity: "customers" };
    const rows: RecordWrite[] = await Promise.all(
      Array.from({ length: 2000 }, async (_, i) => {
        const data = JSON.stringify({ name: `Customer ${i}`, external_id: String(i) });
        const raw = JSON.stringify({ Id: String(i), DisplayName: `Customer ${i}` });
        return { id: prefixedId("rec"), externalId: String(i), data, raw, hash: await recordHash(data, raw) };
      }),
    );
    const now = new Date().toISOString();
    const statements = upsertStatements(db, scope, rows, now);
    expect(statements.length).toBe(Math.ceil(2000 / UPSERT_ROWS));
    for (const s of statements) expect(s.toSQL().params.length).toBeLessThanOrEqual(100);
    expect(upsertParameters(UPSERT_ROWS)).toBeLessThanOrEqual(100);
    const ids = rows.map((r) => r.externalId);
    expect(tombstoneStatement(db, scope, ids, now)?.toSQL().params.length).toBeLessThanOrEqual(100);

    // D1 reports the rows each statement changed (the log's rows, written by triggers, count too).
    const changes = async () => {
      // biome-ignore lint/suspicious/noExplicitAny: drizzle's batch takes a tuple of queries
      const results = (await db.batch(upsertStatements(db, scope, rows, now) as any)) as D1Result[];
      return results.reduce((n, r) => n + (r.meta.changes ?? 0), 0);
    };
    expect(await changes()).toBeGreaterThanOrEqual(2000);
    expect(await writes(scope.integrationId)).toHaveLength(2000);
    const stored = await storedVersions(db, scope, ids);
    expect(stored.size).toBe(2000);
    expect(rows.every((r) => stored.get(r.externalId)?.hash === r.hash)).toBe(true);
    // The same rows again: no row changes (the upsert's WHERE compares the hashes).
    expect(await changes()).toBe(0);
    expect(await writes(scope.integrationId)).toHaveLength(2000);
  });
});
