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
import type { SyncBench } from "./sync.ts";
import { syncMarkdown } from "./sync-report.ts";
import { alignedTable } from "./table.ts";

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
  deliveryLine: string;
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
  { rows, deliveryLine, syncRuns, onlyBare }: BenchResults,
  { only, seedCount, connections, duration }: BenchOptions,
): void {
  const cpu = cpus();
  const machine = `${cpu[0]?.model.trim() ?? "unknown CPU"}, ${cpu.length} cores, ${platform()} ${release()}, Node ${process.versions.node}`;
  const command = `\`npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}\``;
  const md = table(rows);
  console.log(`\n${md}\n`);
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
        `${connections} connections (1 on the rows that say so), ${WARMUP_S} s warm-up + ${duration} s per route (autocannon)`,
      `- Command: ${command}`,
      "",
      md,
      "",
      deliveryLine,
      "",
      "\"vs bare\" is the route's requests/s divided by the bare route's (`GET /ping`: no auth, no D1) at the same",
      "number of connections. The one-connection rows show a request's own latency, without queueing behind others.",
      "Local numbers: use them to compare routes and spot regressions, not as production capacity.",
      "",
      ...(syncSection ? [syncSection, ""] : []),
    ].join("\n");
  }
  writeFileSync(resultsPath, doc);
  say("wrote bench/results.md");
}

/** A markdown table, aligned the way `biome format` writes one (so `npm run lint` stays clean). */
function table(rows: Row[]): string {
  // Each route is compared with the bare route measured at the same concurrency.
  const bare = (r: Row) => rows.find((b) => b.connections === r.connections)?.rps || 1;
  const head = ["Route", "Conns", "Req/s (mean)", "p50 (ms)", "p99 (ms)", "Non-2xx", "Errors", "vs bare"];
  const body = rows.map((r) => [
    r.name,
    String(r.connections),
    r.rps.toFixed(0),
    String(r.p50),
    String(r.p99),
    String(r.non2xx),
    String(r.errors),
    (r.rps / bare(r)).toFixed(2),
  ]);
  return alignedTable(head, body);
}
