/** The "## Sync" section of bench/results.md, from what the sync benchmark measured. */
import { mb } from "./log.ts";
import { RSS_SAMPLE_MS, SYNC_POLL_MS, type SyncBench, type SyncRun } from "./sync.ts";
import { alignedTable } from "./table.ts";

const MB = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

/** The runs as a markdown table. */
function syncTable(runs: SyncRun[]): string {
  const head = [
    "Run",
    "Records",
    "Pages",
    "Wall (s)",
    "Records/s (wall)",
    "Job (s)",
    "Records/s (job)",
    "Hub RSS before (MB)",
    "Hub RSS growth (MB)",
    "Hub heap committed, before → peak (MB)",
    "Heap growth (MB)",
    "Rows written to records",
  ];
  const body = runs.map((r) => [
    r.kind,
    String(r.records),
    String(r.pages),
    r.wallSeconds.toFixed(1),
    (r.records / r.wallSeconds).toFixed(0),
    r.jobSeconds.toFixed(1),
    (r.records / r.jobSeconds).toFixed(0),
    MB(r.before.rss),
    MB(r.peak.rss - r.before.rss),
    `${MB(r.heap.before.total)} → ${MB(r.heap.peakTotal)}`,
    MB(r.heap.peakTotal - r.heap.before.total),
    r.writes ? String(r.writes.inserted + r.writes.updated + r.writes.deleted) : "",
  ]);
  return alignedTable(head, body);
}

/**
 * The section's lines: setup, the table, how to read it, the growth of the larger run against
 * the smaller one's, the re-sync's writes and the simulator's memory.
 */
export function syncMarkdown(
  bench: SyncBench,
  { machine, command, bareLine }: { machine: string; command: string; bareLine: string },
): string {
  const full = bench.runs.filter((r) => r.kind === "full");
  const resync = bench.runs.find((r) => r.kind === "re-sync");
  const [small, big] = full;
  const rss = (r: SyncRun) => r.peak.rss - r.before.rss;
  const heap = (r: SyncRun) => r.heap.peakTotal - r.heap.before.total;
  const more = (a: number, b: number) => `${(((b - a) / Math.max(a, 1)) * 100).toFixed(0)} %`;
  const flat =
    small && big
      ? `Growth per run, ${small.records} records → ${big.records} (${(big.records / small.records).toFixed(0)}× ` +
        `the records): hub process RSS ${mb(rss(small))} → ${mb(rss(big))} (${more(rss(small), rss(big))}); ` +
        `hub heap ${mb(heap(small))} → ${mb(heap(big))} (${more(heap(small), heap(big))}).`
      : "";
  const writes = resync?.writes
    ? `Re-sync of ${resync.records} unchanged records: ${resync.writes.inserted} rows inserted, ` +
      `${resync.writes.updated} updated, ${resync.writes.deleted} deleted in \`records\` (counted by D1 triggers).`
    : "";
  const sim = bench.simulator;
  return [
    "## Sync",
    "",
    `- Date: ${new Date().toISOString()}`,
    `- Machine: ${machine}`,
    `- Command: ${command}`,
    "- Setup: a hub of its own (`wrangler dev`, SANDBOX_ENABLED off) whose providers are answered by the " +
      "simulator in the main benchmark worker (another process, reached over HTTP): a QuickBooks integration " +
      "(1,000 customers a page, one queue message a page), `POST /api/integrations/{id}/sync/customers` " +
      `\`{"full": true}\` then \`GET .../sync-jobs/{job_id}\` every ${SYNC_POLL_MS} ms until \`success\`; a fresh ` +
      "realm (dataset) per size, then the larger realm again with nothing changed (re-sync).",
    "",
    syncTable(bench.runs),
    "",
    "Wall is the start request to the first poll that saw `success`; Job is the job's own `started_at` → " +
      "`completed_at`. Hub RSS is the sum over the workerd processes under the hub's wrangler: the hub's " +
      "isolate, and with it local D1 (SQLite), the local queues and the runtime's allocator, sampled every " +
      `${RSS_SAMPLE_MS} ms; growth = peak − the value just ahead of the start request. The hub heap is the hub ` +
      "isolate's own JS heap as V8 committed it (`Runtime.getHeapUsage` through wrangler's inspector), " +
      "sampled with the RSS; heap growth = peak − the value just ahead of the start request. The runs follow each other in the same hub. Rows " +
      "written to records are counted by triggers on `records`, created (with `wrangler d1 execute`) just " +
      "before the re-sync.",
    ...(flat ? ["", flat] : []),
    ...(writes ? ["", writes] : []),
    "",
    `Simulator process (not part of the hub's figures): RSS ${mb(sim.before.rss)} before the first sync, ` +
      `${mb(sim.after.rss)} after the last.`,
    ...(bareLine ? ["", bareLine] : []),
  ].join("\n");
}
