/**
 * What the high-volume rows weigh: read straight from the worker's local D1 files (read-only) at
 * the end of a run, per table the rows and the average bytes of their stored values. README
 * "Scaling" computes from these how long a database lasts under a retention.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { LocalWorker } from "./worker.ts";

/** Per table: the sum of the lengths of every column's stored value. */
const TABLES: Record<string, string[]> = {
  webhook_events: [
    "id",
    "org_id",
    "integration_id",
    "provider",
    "event_type",
    "provider_event_id",
    "dedupe_key",
    "payload",
    "status",
    "next_attempt_at",
    "result",
    "last_error",
    "received_at",
    "processed_at",
  ],
  events: ["id", "org_id", "type", "payload", "created_at"],
  integration_logs: ["id", "org_id", "integration_id", "level", "action", "message", "details", "created_at"],
  messages: [
    "id",
    "org_id",
    "integration_id",
    "provider",
    "channel",
    "to",
    "content",
    "direction",
    "status",
    "provider_message_id",
    "last_error",
    "idempotency_key",
    "request_hash",
    "created_at",
    "updated_at",
    "sent_at",
    "delivered_at",
    "next_attempt_at",
  ],
  records: [
    "id",
    "org_id",
    "integration_id",
    "entity",
    "external_id",
    "data",
    "raw",
    "created_at",
    "updated_at",
    "deleted_at",
    "seen_job",
  ],
};

export interface TableWeight {
  table: string;
  rows: number;
  /** Average bytes of a row's values (indexes and page overhead not included). */
  valueBytes: number;
}

function files(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...files(p));
    else if (e.name.endsWith(".sqlite")) out.push(p);
  }
  return out;
}

export function tableWeights(worker: LocalWorker): TableWeight[] {
  const totals = new Map<string, { rows: number; bytes: number }>();
  for (const file of files(join(worker.state, "v3", "d1"))) {
    const db = new DatabaseSync(file, { readOnly: true });
    try {
      for (const [table, columns] of Object.entries(TABLES)) {
        const have = new Set(
          (db.prepare(`select name from pragma_table_info('${table}')`).all() as { name: string }[]).map(
            (r) => r.name,
          ),
        );
        const cols = columns.filter((c) => have.has(c));
        if (!cols.length) continue;
        const sum = cols.map((c) => `coalesce(length("${c}"), 0)`).join(" + ");
        const r = db.prepare(`select count(*) as n, coalesce(sum(${sum}), 0) as b from "${table}"`).get() as {
          n: number;
          b: number;
        };
        const t = totals.get(table) ?? { rows: 0, bytes: 0 };
        totals.set(table, { rows: t.rows + r.n, bytes: t.bytes + r.b });
      }
    } finally {
      db.close();
    }
  }
  return [...totals].map(([table, t]) => ({
    table,
    rows: t.rows,
    valueBytes: t.rows ? t.bytes / t.rows : 0,
  }));
}
