/**
 * The speed targets, checked against one run's figures: each route's median requests/s against
 * the bare route's of the same run and concurrency, the ingest p99 against the bare p99, the
 * sync's throughput, memory and re-sync writes, and the log page with a million rows.
 */
import type { Row } from "./measure.ts";

/** What the sync scenario measured, for the targets (undefined: not run). */
export interface SyncFigures {
  /** Records/s of the larger full sync (job time). */
  recordsPerSecond: number;
  records: number;
  /** The hub's RSS growth (bytes) for the smaller and the larger sync. */
  hubGrowthSmall: number;
  hubGrowthLarge: number;
  /** Record rows written by a re-sync when nothing changed. */
  resyncRowWrites: number;
}

export interface Target {
  measure: string;
  value: string;
  target: string;
  met: boolean | undefined;
}

const find = (rows: Row[], words: string, connections = 10) =>
  rows.find((r) => r.name.includes(words) && r.connections === connections);

export function targets(rows: Row[], retention: Row[], sync: SyncFigures | undefined): Target[] {
  const bare = find(rows, "bare");
  const ratio = (words: string, min: number, label: string): Target => {
    const r = find(rows, words);
    const v = r && bare ? r.rps / bare.rps : undefined;
    return {
      measure: `${label}, 10 connections (req/s vs bare)`,
      value: v === undefined ? "not measured" : `${v.toFixed(2)}×`,
      target: `≥ ${min}×`,
      met: v === undefined ? undefined : v >= min,
    };
  };
  const ingest = find(rows, "webhook ingestion");
  const out: Target[] = [
    ratio("webhook ingestion", 0.7, "signed webhook ingest (verify + durable accept)"),
    {
      measure: "ingest p99, 10 connections",
      value: ingest && bare ? `${ingest.p99} ms (bare ${bare.p99} ms)` : "not measured",
      target: "≤ 2× bare p99",
      met: ingest && bare ? ingest.p99 <= 2 * bare.p99 : undefined,
    },
    ratio("REST get one", 0.7, "GET one integration (auth + decrypt + mask)"),
    ratio("REST list page", 0.6, "list page of 50"),
    ratio("message submit", 0.6, "message submit (202 queued)"),
  ];
  if (sync) {
    const growth = sync.hubGrowthLarge / Math.max(1, sync.hubGrowthSmall);
    out.push(
      {
        measure: `sync, ${sync.records.toLocaleString("en-US")} records from the simulator`,
        value: `${sync.recordsPerSecond.toFixed(0)} records/s`,
        target: "≥ 3,000 records/s",
        met: sync.recordsPerSecond >= 3000,
      },
      {
        measure: "sync memory (the hub's RSS growth), 1/10 → all records",
        value: `+${mb(sync.hubGrowthSmall)} → +${mb(sync.hubGrowthLarge)} MB`,
        target: "flat (within 10%)",
        met: growth <= 1.1,
      },
      {
        measure: "re-sync when nothing changed (record rows written)",
        value: String(sync.resyncRowWrites),
        target: "0",
        met: sync.resyncRowWrites === 0,
      },
    );
  } else out.push({ measure: "sync", value: "not measured", target: "", met: undefined });
  // retentionBench's rows, in order: the page and its control with few rows, then with many.
  const [few, fewControl, many, manyControl] = retention;
  if (few && many && fewControl && manyControl) {
    // Each page against the control measured beside it, so the machine's drift cancels out.
    const kept = many.rps / manyControl.rps / (few.rps / fewControl.rps);
    out.push({
      measure: `log page, ${many.name.match(/[\d,]+ log rows/)?.[0] ?? "many log rows"} vs ${few.name.match(/[\d,]+ log rows/)?.[0] ?? "few"} (each against its control)`,
      value: `${kept.toFixed(2)}× (p50 ${few.p50} → ${many.p50} ms)`,
      target: "unchanged (≥ 0.8×)",
      met: kept >= 0.8,
    });
  } else
    out.push({
      measure: "log page with a million log rows",
      value: "not measured",
      target: "",
      met: undefined,
    });
  return out;
}

const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
