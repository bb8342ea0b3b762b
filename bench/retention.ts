/**
 * Retention's premise, measured: an integration's log page (`GET /api/integrations/{id}/logs`)
 * costs the same with a few hundred log rows in the table as with a million. The rows are
 * written straight into the running bench worker's local D1 (the same SQLite file, which SQLite
 * locks for the writer) by `wrangler d1 execute`: INSERT … SELECT over a recursive CTE, 250,000
 * rows a statement. No route of the hub writes logs in bulk, and none is added for this.
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { api, runWrangler } from "../scripts/lib.ts";
import { say } from "./log.ts";
import { measureRounds, type Row } from "./measure.ts";
import type { BenchOptions } from "./options.ts";
import type { BenchRoute } from "./routes.ts";
import type { Fixture } from "./seed.ts";
import type { LocalWorker } from "./worker.ts";

/** Bytes the local D1 file grew per filled log row in the last run (for README "Scaling"). */
export let lastBytesPerLogRow: number | undefined;

/** The size of the worker's local D1 files (the database and its write-ahead log), in bytes. */
function d1Bytes(worker: LocalWorker): number {
  const dir = join(worker.state, "v3", "d1");
  let total = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.includes(".sqlite")) total += statSync(p).size;
    }
  };
  walk(dir);
  return total;
}

/** How many log rows the filled table has, unless told otherwise. */
export const RETENTION_LOG_ROWS = 1_000_000;
/** Log rows of the first measurement: more than a page, so both measurements return full pages. */
const FEW_ROWS = 200;
/** The filled rows span this many days before now (a table that retention keeps at 30 days). */
const SPAN_DAYS = 30;
/** Rows one INSERT writes: a statement of local D1 stays a few seconds long. */
const ROWS_PER_INSERT = 250_000;

export interface RetentionBenchOptions extends Pick<BenchOptions, "duration" | "connections" | "runs"> {
  /** Waited for before each measured run (the hub idle again). */
  idle?: () => Promise<unknown>;
  /** Log rows to fill the integration's log with (default 1,000,000). */
  logRows?: number;
}

/** Where the filled rows lie: row `i` is written at `start + i × step` (ms epoch). */
interface Span {
  start: number;
  step: number;
}

const spanOf = (total: number, now = Date.now()): Span => ({
  start: now - SPAN_DAYS * 86_400_000,
  step: Math.max(1, Math.floor((SPAN_DAYS * 86_400_000) / total)),
});

/**
 * The INSERTs that give `integrationId` log rows `first` to `end - 1` of `span`, with ids shaped
 * like the hub's own (`log_` + 12 hex digits of milliseconds + 20 more), so they sort by time
 * the way the route pages them.
 */
export function fillStatements(
  orgId: string,
  integrationId: string,
  first: number,
  end: number,
  { start, step }: Span,
): string[] {
  const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;
  const out: string[] = [];
  for (let from = first; from < end; from += ROWS_PER_INSERT) {
    const to = Math.min(end, from + ROWS_PER_INSERT);
    out.push(
      `WITH RECURSIVE n(i) AS (SELECT ${from} UNION ALL SELECT i + 1 FROM n WHERE i < ${to - 1}),
        t(i, ms) AS (SELECT i, ${start} + i * ${step} FROM n)
      INSERT INTO integration_logs (id, org_id, integration_id, level, action, message, details, created_at)
      SELECT 'log_' || printf('%012x%020x', ms, i), ${quote(orgId)}, ${quote(integrationId)},
        CASE WHEN i % 10 = 0 THEN 'error' ELSE 'info' END, 'message.sent',
        'Message ' || i || ' sent', json_object('message_id', 'msg_bench_' || i, 'attempt', 1),
        strftime('%Y-%m-%dT%H:%M:%fZ', ms / 1000.0, 'unixepoch')
      FROM t;`,
    );
  }
  return out;
}

/** Writes rows `first` to `end - 1` through the worker's local D1; answers the seconds it took. */
async function fill(worker: LocalWorker, fixture: Fixture, first: number, end: number, span: Span) {
  const started = Date.now();
  const statements = fillStatements(fixture.orgId, fixture.integrationId, first, end, span);
  for (const [i, command] of statements.entries()) {
    await runWrangler(
      // biome-ignore format: one flag and its value a line
      [
        "d1", "execute", "DB", "--local",
        "--env", "development",
        "--persist-to", worker.state,
        "--command", command,
      ],
      { quiet: true },
    );
    if (statements.length > 1) say(`  ${Math.min(end, first + (i + 1) * ROWS_PER_INSERT)}/${end} log rows`);
  }
  return (Date.now() - started) / 1000;
}

/**
 * Measures the integration log's first page with a few hundred rows in its table, then again
 * after the table is filled up to `logRows`. Beside each, the same integration's
 * `GET /api/integrations/{id}` (the same auth, one indexed read of another table) is measured
 * too: on a shared machine the load drifts between measurements, and the control shows how much.
 * Answers the four rows for the report; the filled rows stay (later scenarios see a big table).
 */
export async function retentionBench(
  worker: LocalWorker,
  base: string,
  fixture: Fixture,
  options: RetentionBenchOptions,
): Promise<Row[]> {
  const total = Math.max(options.logRows ?? RETENTION_LOG_ROWS, FEW_ROWS + 1);
  const span = spanOf(total);
  const headers = { authorization: `Bearer ${fixture.apiKey}` };
  const routesAt = (label: string): BenchRoute[] => [
    {
      name: `integration log page, ${label}: GET /api/integrations/{id}/logs?limit=50`,
      method: "GET",
      path: `/api/integrations/${fixture.integrationId}/logs?limit=50`,
      headers,
    },
    {
      name: `control beside it (${label}): GET /api/integrations/{id}`,
      method: "GET",
      path: `/api/integrations/${fixture.integrationId}`,
      headers,
    },
  ];
  const count = (n: number) => n.toLocaleString("en-US");
  const rows: Row[] = [];
  const measureAll = async (label: string) => {
    // The page and its control in interleaved rounds, like the routes.
    rows.push(...(await measureRounds(base, routesAt(label), options)));
  };

  await fill(worker, fixture, 0, FEW_ROWS, span);
  await checkPage(base, fixture);
  say(`integration log page with ${FEW_ROWS} log rows in the table`);
  await measureAll(`${FEW_ROWS} log rows`);

  say(`filling integration_logs up to ${count(total)} rows for ${fixture.integrationId}`);
  const before = d1Bytes(worker);
  const seconds = await fill(worker, fixture, FEW_ROWS, total, span);
  const perRow = (d1Bytes(worker) - before) / (total - FEW_ROWS);
  say(
    `  filled in ${seconds.toFixed(1)} s; the database grew ${perRow.toFixed(0)} bytes a log row (indexes included)`,
  );
  lastBytesPerLogRow = perRow;
  await checkPage(base, fixture);
  await measureAll(`${count(total)} log rows, filled in ${seconds.toFixed(0)} s`);
  return rows;
}

/** The route answers a full first page and a cursor to the next: the filled rows are seen. */
async function checkPage(base: string, fixture: Fixture): Promise<void> {
  const page = await api(base, "GET", `/api/integrations/${fixture.integrationId}/logs?limit=50`, {
    token: fixture.apiKey,
  });
  if (page.status !== 200 || page.body.logs?.length !== 50 || !page.body.next_cursor)
    throw new Error(
      `the log route does not page the filled rows: HTTP ${page.status} ${page.text.slice(0, 300)}`,
    );
}
