/**
 * Where an organization's high-volume rows live. D1 holds at most 10 GB a database and runs
 * one database's writes one at a time, so the tables that grow with traffic (SHARDED_TABLES)
 * may live in other D1 databases than `DB`, one organization to one database, chosen by the
 * `DATA_SHARDS` setting (JSON):
 *
 *     {"default": "DB", "organizations": {"<organization id>": "DB_SHARD_1"}}
 *
 * Each name is a D1 binding of the Worker; an organization not listed goes to `default` (`DB`
 * when unset). The setting is read from the environment, so resolving costs no query. Every
 * database gets the same migrations, so each has every table; a shard uses only its
 * SHARDED_TABLES (and an `organizations` row per organization, see anchored.ts). Everything
 * else (organizations, integrations, keys, jobs, audit log) stays in `DB`.
 *
 * Moving an organization that already has rows is a copy of its rows (README, "Shards"):
 * changing the setting alone makes its old rows invisible, not moved.
 */
import { z } from "zod";
import { anchored } from "./anchored.ts";
import { createDb, type Db } from "./client.ts";

declare global {
  interface Env {
    /** Which D1 binding holds each organization's high-volume rows (src/db/shards.ts). */
    DATA_SHARDS?: string;
  }
}

/** The tables whose rows live in the organization's data database. */
export const SHARDED_TABLES = [
  "records",
  "integration_logs",
  "webhook_events",
  "events",
  "event_deliveries",
  "event_attempts",
] as const;

/** The main database's binding: every other table, and the default data database. */
export const MAIN_BINDING = "DB";

const BindingName = z.string().regex(/^[A-Za-z_$][A-Za-z0-9_$]*$/, "a binding name");

const ShardConfigSchema = z.strictObject({
  default: BindingName.default(MAIN_BINDING),
  organizations: z.record(z.string().min(1), BindingName).default({}),
});

export type ShardConfig = z.output<typeof ShardConfigSchema>;

/** DATA_SHARDS does not parse, or names a binding that is not a D1 database. */
export class ShardConfigError extends Error {
  override name = "ShardConfigError";
}

/** A D1 binding: `prepare` and `batch`, and no `fetch` (a service binding answers every method name). */
const isD1 = (v: unknown): v is D1Database =>
  typeof v === "object" &&
  v !== null &&
  typeof (v as D1Database).prepare === "function" &&
  typeof (v as D1Database).batch === "function" &&
  typeof (v as { fetch?: unknown }).fetch !== "function";

const bindingsOf = (env: Env) => env as unknown as Record<string, unknown>;

/** The names of the Worker's D1 bindings (for the error that names an unknown one). */
function d1Names(env: Env): string[] {
  return Object.entries(bindingsOf(env))
    .filter(([, v]) => isD1(v))
    .map(([k]) => k)
    .sort();
}

function parse(env: Env): ShardConfig {
  const text = env.DATA_SHARDS?.trim();
  let json: unknown = {};
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      throw new ShardConfigError(
        'DATA_SHARDS is not JSON: expected {"default": "<binding>", "organizations": {"<organization id>": "<binding>"}}',
      );
    }
  }
  const parsed = ShardConfigSchema.safeParse(json);
  if (!parsed.success) {
    // The top-level field only: a path under `organizations` would name an organization.
    const issues = parsed.error.issues.map((i) => `${String(i.path[0] ?? "(root)")}: ${i.message}`);
    throw new ShardConfigError(`DATA_SHARDS is invalid: ${issues.join("; ")}`);
  }
  const config = parsed.data;
  // Named by binding, not by organization: /health shows this to anyone.
  const named: [string, string][] = [
    ["default", config.default],
    ...Object.values(config.organizations).map((b): [string, string] => ["organizations", b]),
  ];
  for (const [path, binding] of named) {
    if (!isD1(bindingsOf(env)[binding]))
      throw new ShardConfigError(
        `DATA_SHARDS ${path}: "${binding}" is not a D1 binding of this Worker (its D1 bindings: ${d1Names(env).join(", ") || "none"})`,
      );
  }
  return config;
}

const cache = new WeakMap<object, ShardConfig>();

/** DATA_SHARDS, parsed and checked once per isolate; throws ShardConfigError when it is wrong. */
export function shardConfig(env: Env): ShardConfig {
  let config = cache.get(env);
  if (!config) {
    config = parse(env);
    cache.set(env, config);
  }
  return config;
}

/** Every binding that holds data rows: DB first (it holds the rows of before any shard), then the rest named. */
export function dataBindings(config: ShardConfig): string[] {
  return [...new Set([MAIN_BINDING, config.default, ...Object.values(config.organizations)])];
}

/**
 * The data databases of one request or job. `of(orgId)` is the database of one organization's
 * high-volume rows: `main` itself when that is DB, so statements for both batch together as
 * before. The setting is parsed at first use, so a wrong one fails what needs it (and /health
 * says why), not every request.
 */
export class Shards {
  private readonly byOrg = new Map<string, Db>();
  private swept?: Db[];

  constructor(
    private readonly env: Env,
    /** The main database (`DB`). */
    readonly main: Db,
  ) {}

  /** The binding that holds `orgId`'s high-volume rows. */
  bindingOf(orgId: string): string {
    const config = shardConfig(this.env);
    return config.organizations[orgId] ?? config.default;
  }

  /** The database that holds `orgId`'s high-volume rows. */
  of(orgId: string): Db {
    const binding = this.bindingOf(orgId);
    if (binding === MAIN_BINDING) return this.main;
    let db = this.byOrg.get(orgId);
    if (!db) {
      db = createDb(anchored(bindingsOf(this.env)[binding] as D1Database, binding, orgId));
      this.byOrg.set(orgId, db);
    }
    return db;
  }

  /** Every database that holds high-volume rows, each once, for the sweeps that read across organizations. */
  all(): Db[] {
    this.swept ??= dataBindings(shardConfig(this.env)).map((b) =>
      b === MAIN_BINDING ? this.main : createDb(bindingsOf(this.env)[b] as D1Database),
    );
    return this.swept;
  }
}
