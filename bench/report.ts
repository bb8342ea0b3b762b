/**
 * Reporting: the routes and sync tables (aligned the way Biome formats markdown), printed and
 * written to bench/results.md; `--only sync` replaces just the Sync section of the last run.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, platform, release } from "node:os";
import { join } from "node:path";
import { ROOT } from "../scripts/lib.ts";
import type { Delivery } from "./delivery.ts";
import { say } from "./log.ts";
import type { Row } from "./measure.ts";
import { type BenchOptions, WARMUP_S } from "./options.ts";
import { lastBytesPerLogRow } from "./retention.ts";
import type { TableWeight } from "./storage.ts";
import type { SyncBench } from "./sync.ts";
import { syncMarkdown } from "./sync-report.ts";
import { alignedTable } from "./table.ts";
import { type SyncFigures, type Target, targets } from "./targets.ts";

/** The sync runs as the targets read them: the larger full run, both full runs' hub growth, the re-sync. */
function syncFigures(bench: SyncBench | undefined): SyncFigures | undefined {
  const full = bench?.runs.filter((r) => r.kind === "full") ?? [];
  const [small, big] = full;
  if (!small || !big) return undefined;
  const resync = bench?.runs.find((r) => r.kind === "re-sync");
  const w = resync?.writes;
  return {
    records: big.records,
    recordsPerSecond: big.records / big.jobSeconds,
    hubGrowthSmall: small.peak.rss - small.before.rss,
    hubGrowthLarge: big.peak.rss - big.before.rss,
    resyncRowWrites: w ? w.inserted + w.updated + w.deleted : Number.NaN,
  };
}

/** The line about end-to-end delivery, or that it was not measured (`delivery` undefined, `--only`). */
export function deliverySummary(delivery: Delivery | undefined): string {
  if (!delivery) return "End-to-end delivery: not measured in this run (--only).";
  return (
    `End-to-end delivery through the sandbox: ${delivery.count} messages submitted in ` +
    `${delivery.submitSeconds.toFixed(1)} s, all ${delivery.sent} sent (${delivery.failed} failed) after ` +
    `${delivery.totalSeconds.toFixed(1)} s (${(delivery.count / delivery.totalSeconds).toFixed(0)} messages/s).`
  );
}

/** What one run measured, for `report`. */
export interface BenchResults {
  rows: Row[];
  /** The log page before and after its table is filled (retentionBench); empty when not run. */
  retention: Row[];
  deliveryLine: string;
  /** Seconds the whole run took. */
  seconds: number;
  /** What the high-volume tables' rows weigh at the end of the run. */
  weights: TableWeight[];
  /** Undefined when the sync benchmark did not run. */
  syncRuns: SyncBench | undefined;
  /** Only bare routes were measured (nothing was seeded). */
  onlyBare: boolean;
}

/**
 * Prints the tables and writes bench/results.md: the whole document, or with `--only sync` the
 * previous document with its Sync section replaced (or added).
 */
export function report(
  { rows, retention, deliveryLine, syncRuns, onlyBare, seconds, weights }: BenchResults,
  { only, seedCount, connections, duration, runs }: BenchOptions,
): void {
  const cpu = cpus();
  const machine = `${cpu[0]?.model.trim() ?? "unknown CPU"}, ${cpu.length} cores, ${platform()} ${release()}, Node ${process.versions.node}`;
  const command = `\`npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}\``;
  const md = table(rows);
  console.log(`\n${md}\n`);
  const goals = targetsTable(targets(rows, retention, syncFigures(syncRuns)));
  console.log(`${goals}\n`);
  const retentionMd = retention.length ? table(retention, rows) : "";
  if (retentionMd) console.log(`${retentionMd}\n`);
  const weightsMd = alignedTable(
    ["Table", "Rows at the end", "Bytes a row (values)"],
    weights.map((w) => [w.table, String(w.rows), w.valueBytes.toFixed(0)]),
  );
  const perLogRow = lastBytesPerLogRow;
  console.log(`${weightsMd}\n`);
  const resultsPath = join(ROOT, "bench", "results.md");
  const previous = existsSync(resultsPath) ? readFileSync(resultsPath, "utf8") : "";
  // The "## Sync" section runs to the end of the file or the next "## " heading.
  const syncAt = previous.search(/^## Sync$/m);
  const syncEnd = syncAt < 0 ? -1 : previous.slice(syncAt + 1).search(/^## /m);
  const previousSync =
    syncAt < 0 ? "" : previous.slice(syncAt, syncEnd < 0 ? undefined : syncAt + 1 + syncEnd).trimEnd();
  let syncSection = previousSync;
  if (syncRuns) {
    const bare = rows.filter((r) => r.name.startsWith("bare"));
    const bareLine = bare.length
      ? `Bare route in the same run: \`GET /ping\` ${bare.map((r) => `${r.rps.toFixed(0)} req/s at ${r.connections} connection(s)`).join(", ")}.`
      : "";
    syncSection = syncMarkdown(syncRuns, { machine, command, bareLine });
    console.log(`${syncSection}\n`);
  }

  let doc: string;
  if (syncRuns && onlyBare && only) {
    // `--only sync`: keep the routes table of the last full run, replace (or add) the Sync section.
    const head = syncAt < 0 ? previous.trimEnd() : previous.slice(0, syncAt).trimEnd();
    const tail = syncAt < 0 || syncEnd < 0 ? "" : previous.slice(syncAt + 1 + syncEnd).trimEnd();
    doc = `${[head || "# Benchmark results", syncSection, tail].filter(Boolean).join("\n\n")}\n`;
  } else {
    doc = [
      "# Benchmark results",
      "",
      `- Date: ${new Date().toISOString()}`,
      `- Machine: ${machine}`,
      `- Setup: \`wrangler dev\` serving a one-off bundle (local workerd + local D1), ${onlyBare ? 0 : seedCount} integrations in the organization, ` +
        `${connections} connections (1 on the rows that say so); per route a ${WARMUP_S} s warm-up, then ${runs} runs of ${duration} s ` +
        "taken in interleaved rounds (autocannon); rows show the medians",
      `- Command: ${command}`,
      `- The whole run took ${seconds.toFixed(0)} s.`,
      "",
      "## Targets",
      "",
      goals,
      "",
      "## Routes",
      "",
      md,
      "",
      deliveryLine,
      "",
      "\"vs bare\" is the route's median requests/s divided by the bare route's (`GET /ping`: no auth, no D1) at the",
      'same number of connections, measured in the same rounds; "p99 vs bare" the same for the p99 latency. The',
      "one-connection rows show a request's own latency, without queueing behind others. Local numbers: use them",
      "to compare routes and spot regressions, not as production capacity.",
      "",
      ...(retentionMd
        ? [
            "## Log page and retention",
            "",
            retentionMd,
            "",
            "The integration's log page with a few hundred rows in `integration_logs`, then after the table is filled to the " +
              "row count shown (`wrangler d1 execute` into the worker's local D1); beside each, `GET /api/integrations/{id}` as a " +
              "control for the machine's drift between the two.",
            "",
          ]
        : []),
      "## Row weights",
      "",
      weightsMd,
      "",
      "The stored values' bytes per row, read from the local D1 files at the end of the run (indexes and page " +
        "overhead not counted)." +
        (perLogRow
          ? ` Filling the log table grew the database file ${perLogRow.toFixed(0)} bytes a log row, indexes included.`
          : ""),
      "",
      ...(syncSection ? [syncSection, ""] : []),
    ].join("\n");
  }
  writeFileSync(resultsPath, doc);
  say("wrote bench/results.md");
}

/**
 * Routes as a markdown table, aligned the way `biome format` writes one (so `npm run lint` stays
 * clean). Each route is compared with the bare route measured at the same concurrency, from
 * `rows` or from `bareFrom`.
 */
function table(rows: Row[], bareFrom: Row[] = rows): string {
  const bare = (r: Row) => bareFrom.find((b) => b.name.startsWith("bare") && b.connections === r.connections);
  const head = [
    "Route",
    "Conns",
    "Req/s (median)",
    "Runs (req/s)",
    "p50 (ms)",
    "p99 (ms)",
    "Non-2xx",
    "Errors",
    "vs bare",
    "p99 vs bare",
  ];
  const body = rows.map((r) => [
    r.name,
    String(r.connections),
    r.rps.toFixed(0),
    r.runs.map((x) => x.toFixed(0)).join(" / "),
    String(r.p50),
    String(r.p99),
    String(r.non2xx),
    String(r.errors),
    (r.rps / (bare(r)?.rps || 1)).toFixed(2),
    (r.p99 / (bare(r)?.p99 || 1)).toFixed(2),
  ]);
  return alignedTable(head, body);
}

/** The targets as a markdown table. */
function targetsTable(list: Target[]): string {
  const body = list.map((t) => [
    t.measure,
    t.value,
    t.target,
    t.met === undefined ? "–" : t.met ? "met" : "not met",
  ]);
  return alignedTable(["Measure", "This run", "Target", "Met"], body, 1);
}
