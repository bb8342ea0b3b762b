/** GET /health: database reachable, migrations applied, key ring loaded. 503 with the reason otherwise. */
import { createRoute, z } from "@hono/zod-openapi";
import { loadKeyRing } from "../crypto/keyring.ts";
import { EXPECTED_MIGRATIONS } from "../db/migrations.ts";
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
    summary: "Liveness and readiness",
    responses: {
      200: jsonResponse(HealthSchema, "Healthy"),
      503: jsonResponse(HealthSchema, "Not ready, with the reason"),
    },
  }),
  async (c) => {
    const database: z.infer<typeof Check> = { ok: true };
    const migrations: z.infer<typeof Check> = { ok: true };
    try {
      await c.env.DB.prepare("select 1").first();
      try {
        const rows = await c.env.DB.prepare("select name from d1_migrations").all<{ name: string }>();
        const applied = new Set(rows.results.map((r) => r.name));
        const missing = EXPECTED_MIGRATIONS.filter((m) => !applied.has(m));
        if (missing.length) {
          migrations.ok = false;
          migrations.detail = `not applied: ${missing.join(", ")}`;
        } else {
          migrations.detail = `${EXPECTED_MIGRATIONS.length} applied`;
        }
      } catch {
        migrations.ok = false;
        migrations.detail = "no migrations applied (run the migrations)";
      }
    } catch (e) {
      database.ok = false;
      database.detail = "database unreachable";
      migrations.ok = false;
      c.get("log").error("health: database unreachable", { reason: String(e) });
    }
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
