/**
 * GET /health: databases reachable (DB and the shards DATA_SHARDS names), migrations applied to
 * each, key ring loaded. 503 with the reason otherwise.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { loadKeyRing } from "../crypto/keyring.ts";
import { EXPECTED_MIGRATIONS } from "../db/migrations.ts";
import { dataBindings, MAIN_BINDING, ShardConfigError, shardConfig } from "../db/shards.ts";
import { createRouter, jsonResponse } from "./openapi.ts";

export const healthApi = createRouter();

const Check = z.object({ ok: z.boolean(), detail: z.string().optional() });
const HealthSchema = z
  .object({
    status: z.enum(["ok", "unavailable"]),
    checks: z.object({ database: Check, migrations: Check, keys: Check, admin_token: Check }),
  })
  .openapi("Health");

healthApi.openapi(
  createRoute({
    method: "get",
    path: "/health",
    tags: ["Health"],
    security: [],
    summary: "Liveness and readiness",
    responses: {
      200: jsonResponse(HealthSchema, "Healthy"),
      503: jsonResponse(HealthSchema, "Not ready, with the reason"),
    },
  }),
  async (c) => {
    const database: z.infer<typeof Check> = { ok: true };
    const migrations: z.infer<typeof Check> = { ok: true };
    // DB, and every shard DATA_SHARDS names (src/db/shards.ts): each needs every migration.
    let bindings = [MAIN_BINDING];
    try {
      bindings = dataBindings(shardConfig(c.env));
    } catch (e) {
      database.ok = false;
      database.detail = e instanceof ShardConfigError ? e.message : "DATA_SHARDS could not be read";
    }
    const unreachable: string[] = [];
    const behind: string[] = [];
    for (const name of bindings) {
      const d1 = (c.env as unknown as Record<string, D1Database>)[name] as D1Database;
      const where = bindings.length > 1 ? ` in ${name}` : "";
      try {
        await d1.prepare("select 1").first();
      } catch (e) {
        unreachable.push(name);
        c.get("log").error("health: database unreachable", { binding: name, reason: String(e) });
        continue;
      }
      try {
        const rows = await d1.prepare("select name from d1_migrations").all<{ name: string }>();
        const applied = new Set(rows.results.map((r) => r.name));
        const missing = EXPECTED_MIGRATIONS.filter((m) => !applied.has(m));
        if (missing.length) behind.push(`not applied${where}: ${missing.join(", ")}`);
      } catch {
        behind.push(`no migrations applied${where} (run the migrations)`);
      }
    }
    if (unreachable.length) {
      database.ok = false;
      database.detail =
        bindings.length > 1 ? `unreachable: ${unreachable.join(", ")}` : "database unreachable";
    }
    if (unreachable.length || behind.length) migrations.ok = false;
    if (behind.length) migrations.detail = behind.join("; ");
    else if (migrations.ok)
      migrations.detail = `${EXPECTED_MIGRATIONS.length} applied${bindings.length > 1 ? ` in each of ${bindings.join(", ")}` : ""}`;
    const keys: z.infer<typeof Check> = { ok: true };
    try {
      const ring = await loadKeyRing(c.env.ENCRYPTION_KEYS);
      keys.detail = `${ring.ids.length} ring key(s), current ${ring.current.id}`;
    } catch (e) {
      keys.ok = false;
      keys.detail = e instanceof Error ? e.message : "key ring unavailable";
    }
    const admin_token = { ok: Boolean(c.env.ADMIN_TOKEN && c.env.ADMIN_TOKEN.length >= 16) };
    const ok = database.ok && migrations.ok && keys.ok;
    const body = {
      status: ok ? ("ok" as const) : ("unavailable" as const),
      checks: { database, migrations, keys, admin_token },
    };
    return ok ? c.json(body, 200) : c.json(body, 503);
  },
);
