/**
 * Full syncs of QuickBooks customers with the hub and the simulator in separate processes: the
 * benchmark's main worker (started by run.ts, SANDBOX_ENABLED) answers as QuickBooks, and a hub
 * of its own (SANDBOX_ENABLED off, every provider's base URL pointed at that worker's /sandbox)
 * runs the syncs, so the RSS sampled is the hub's alone. A fresh realm (dataset) of n/10
 * customers is synced, then one of n, then the n again in full with nothing changed at the
 * provider, while D1 triggers count the rows written to `records`.
 */
import { api, DEV_ENV, randomToken, sleep, spawnWrangler } from "../scripts/lib.ts";
import { type Heap, HeapProbe } from "./heap.ts";
import { mb, say } from "./log.ts";
import { type Memory, workerdMemory } from "./rss.ts";
import { type LocalWorker, newLocalWorker, startWorker, stopWorker } from "./worker.ts";

/** One sync's measurement. */
export interface SyncRun {
  /** `full` (a fresh realm), or `re-sync` (the same realm again in full, nothing changed). */
  kind: "full" | "re-sync";
  count: number;
  records: number;
  pages: number;
  /** Start request to `success` seen by polling. */
  wallSeconds: number;
  /** The job's own started_at → completed_at. */
  jobSeconds: number;
  /** The hub's workerd memory just before the start request, and the peak during the run. */
  before: Memory;
  peak: Memory;
  samples: number;
  /** The hub isolate's JS heap just before the start request and at the end, and the most V8 committed meanwhile. */
  heap: { before: Heap; after: Heap; peakTotal: number };
  /** Polls that saw the job paused (pacing). */
  pausedPolls: number;
  /** Rows inserted, updated and deleted in `records` during the run, counted by D1 triggers. */
  writes?: { inserted: number; updated: number; deleted: number };
}

/** What the sync benchmark measured. */
export interface SyncBench {
  runs: SyncRun[];
  /** The simulator's worker (run.ts's main one) before the first sync and after the last. */
  simulator: { before: Memory; after: Memory };
}

/** How often the job is polled. */
export const SYNC_POLL_MS = 250;
/** How often the hub's RSS and heap are sampled. */
export const RSS_SAMPLE_MS = 100;
const SYNC_STALL_MS = 60_000;
/** Generous: 10 minutes for 50,000 records, never under 2 minutes. */
const syncTimeoutMs = (n: number) => Math.max(120_000, n * 12);

/** The triggers that count the rows written to `records`, in a table of their own. */
const COUNT_WRITES = [
  "CREATE TABLE IF NOT EXISTS bench_record_writes (op TEXT PRIMARY KEY, n INTEGER NOT NULL)",
  "INSERT OR IGNORE INTO bench_record_writes VALUES ('inserted', 0), ('updated', 0), ('deleted', 0)",
  ...(["insert", "update", "delete"] as const).map(
    (op) =>
      `CREATE TRIGGER IF NOT EXISTS bench_count_${op} AFTER ${op.toUpperCase()} ON records ` +
      `BEGIN UPDATE bench_record_writes SET n = n + 1 WHERE op = '${op}d'; END`,
  ),
].join("; ");

let realmSeq = 0;

interface Hub {
  worker: LocalWorker;
  base: string;
  apiKey: string;
  heap: HeapProbe;
}

/** Runs SQL on the hub's local D1 with `wrangler d1 execute`; answers the last statement's rows. */
async function d1(hub: LocalWorker, command: string): Promise<Record<string, unknown>[]> {
  // biome-ignore format: one flag and its value a line
  const child = spawnWrangler([
    "d1", "execute", "DB", "--local", "--env", DEV_ENV,
    "--persist-to", hub.state,
    "--json", "--command", command,
  ], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout?.on("data", (d) => (out += d));
  child.stderr?.on("data", (d) => (err += d));
  const code = await new Promise<number>((res) => child.once("exit", (c) => res(c ?? 1)));
  if (code !== 0) throw new Error(`wrangler d1 execute exited with code ${code}: ${err || out}`);
  const results = JSON.parse(out) as { results: Record<string, unknown>[] }[];
  return results.at(-1)?.results ?? [];
}

async function recordWrites(hub: LocalWorker) {
  const rows = await d1(hub, "SELECT op, n FROM bench_record_writes");
  const n = (op: string) => Number(rows.find((r) => r.op === op)?.n ?? Number.NaN);
  return { inserted: n("inserted"), updated: n("updated"), deleted: n("deleted") };
}

/** Creates a QuickBooks integration on a fresh realm of `count` customers; answers its id and realm. */
async function newRealm(hub: Hub, simulatorBase: string, count: number) {
  // Unique per run: the simulator keys QuickBooks datasets by realm id.
  const realm = `93414530${String(Date.now() % 1e6).padStart(6, "0")}${String(++realmSeq).padStart(2, "0")}`;
  const sized = await api(simulatorBase, "POST", "/sandbox/_data/quickbooks/customers", {
    body: { account: realm, count },
  });
  if (sized.status !== 200)
    throw new Error(`POST /sandbox/_data/quickbooks/customers → HTTP ${sized.status} ${sized.text}`);
  const created = await api(hub.base, "POST", "/api/integrations", {
    token: hub.apiKey,
    body: {
      provider: "quickbooks",
      name: `bench qbo ${count} ${realm}`,
      access_token: `eyJ.bench${randomToken(12)}`,
      realm_id: realm,
      environment: "sandbox",
    },
  });
  if (created.status !== 201)
    throw new Error(`POST /api/integrations (quickbooks) → HTTP ${created.status} ${created.text}`);
  return created.body.integration.id as string;
}

/** Syncs the integration's customers once (in full), sampling the hub's memory meanwhile. */
async function syncOnce(hub: Hub, id: string, count: number, kind: SyncRun["kind"]): Promise<SyncRun> {
  const heapBefore = await hub.heap.usage();
  let heapPeak = heapBefore.total;
  const before = workerdMemory(hub.worker);
  const peak = { ...before };
  let samples = 1;
  let samplerError: unknown;
  let heapBusy = false;
  const sample = () => {
    const m = workerdMemory(hub.worker);
    peak.rss = Math.max(peak.rss, m.rss);
    peak.anon = Math.max(peak.anon, m.anon);
    samples++;
    if (heapBusy) return;
    heapBusy = true;
    hub.heap
      .usage()
      .then((h) => {
        heapPeak = Math.max(heapPeak, h.total);
      })
      .catch((e) => {
        samplerError = e;
      })
      .finally(() => {
        heapBusy = false;
      });
  };
  const sampler = setInterval(() => {
    try {
      sample();
    } catch (e) {
      samplerError = e;
    }
  }, RSS_SAMPLE_MS);

  try {
    const started = Date.now();
    const path = `/api/integrations/${id}/sync/customers`;
    const start = await api(hub.base, "POST", path, { token: hub.apiKey, body: { full: true } });
    if (start.status !== 202) throw new Error(`POST ${path} → HTTP ${start.status} ${start.text}`);
    const jobId: string = start.body.job.id;
    const timeoutMs = syncTimeoutMs(count);
    let lastPages = -1;
    let lastProgressAt = Date.now();
    let lastShown = 0;
    let pausedPolls = 0;
    for (;;) {
      const jobPath = `/api/integrations/${id}/sync-jobs/${jobId}`;
      const res = await api(hub.base, "GET", jobPath, { token: hub.apiKey });
      if (res.status !== 200) throw new Error(`GET ${jobPath} → HTTP ${res.status} ${res.text}`);
      const job = res.body.job;
      const now = Date.now();
      const state = `${job.status}, ${job.pages_done} pages, ${job.records_synced} records`;
      if (job.status === "success") {
        const wallSeconds = (now - started) / 1000;
        sample();
        if (samplerError) throw samplerError;
        const jobSeconds =
          job.started_at && job.completed_at
            ? (Date.parse(job.completed_at) - Date.parse(job.started_at)) / 1000
            : Number.NaN;
        if (job.records_synced !== count)
          say(`\x1b[33mwarning: sync of ${count} finished with ${job.records_synced} records\x1b[0m`);
        const check = await api(hub.base, "GET", `/api/integrations/${id}/records/customers?limit=1`, {
          token: hub.apiKey,
        });
        if (check.status !== 200 || !check.body.records?.length)
          throw new Error(`sync of ${count} succeeded but the records route shows none: ${check.text}`);
        const heapAfter = await hub.heap.usage();
        return {
          kind,
          count,
          records: job.records_synced,
          pages: job.pages_done,
          wallSeconds,
          jobSeconds,
          before,
          peak,
          samples,
          heap: { before: heapBefore, after: heapAfter, peakTotal: Math.max(heapPeak, heapAfter.total) },
          pausedPolls,
        };
      }
      if (job.status === "failed" || job.status === "partial")
        throw new Error(`sync of ${count} ended ${state}: ${job.error_message ?? "(no error message)"}`);
      if (job.status === "paused") pausedPolls++;
      if (job.pages_done !== lastPages) {
        lastPages = job.pages_done;
        lastProgressAt = now;
      } else if (now - lastProgressAt > SYNC_STALL_MS) {
        throw new Error(
          `sync of ${count} stalled: no new page for ${SYNC_STALL_MS / 1000} s (${state}` +
            `${job.resume_at ? `, resume_at ${job.resume_at}` : ""}${job.error_message ? `, ${job.error_message}` : ""})`,
        );
      }
      if (now - started > timeoutMs)
        throw new Error(`sync of ${count} did not succeed within ${timeoutMs / 1000} s (${state})`);
      if (now - lastShown > 5_000) {
        lastShown = now;
        say(`  ${((now - started) / 1000).toFixed(0)} s: ${state}, hub RSS ${mb(peak.rss)} peak`);
      }
      await sleep(SYNC_POLL_MS);
    }
  } finally {
    clearInterval(sampler);
  }
}

/** Hubs still running: stopped when the benchmark exits however it ends (run.ts stops only its own). */
const running = new Set<LocalWorker>();
process.once("exit", () => {
  for (const w of running) {
    try {
      if (w.child?.pid) process.kill(-w.child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
});

/**
 * Starts a hub of its own whose providers are answered by the simulator at `simulatorBase` (the
 * main benchmark worker), syncs `syncCount / 10` records, then `syncCount`, then the latter again
 * with nothing changed; stops the hub. `simulator` is sampled before and after.
 */
export async function syncBench(
  simulator: LocalWorker,
  simulatorBase: string,
  syncCount: number,
): Promise<SyncBench> {
  const worker = newLocalWorker();
  running.add(worker);
  try {
    say("starting a hub of its own for the sync benchmark (providers answered by the main worker)");
    const { base, adminToken } = await startWorker(worker, {
      SANDBOX_ENABLED: "false",
      PROVIDER_BASE_URL_ALL: `${simulatorBase}/sandbox`,
    });
    const org = await api(base, "POST", "/admin/organizations", {
      token: adminToken,
      body: { name: "Bench sync", slug: `bench-sync-${Date.now()}` },
    });
    if (org.status !== 201) throw new Error(`POST /admin/organizations → HTTP ${org.status} ${org.text}`);
    if (!worker.inspectorPort) throw new Error("the hub's inspector port is unknown");
    const heap = await HeapProbe.open(worker.inspectorPort);
    const hub: Hub = { worker, base, apiKey: org.body.api_key, heap };
    const simBefore = workerdMemory(simulator);
    const runs: SyncRun[] = [];
    const show = (run: SyncRun) =>
      say(
        `  ${run.records} records in ${run.wallSeconds.toFixed(1)} s (${(run.records / run.wallSeconds).toFixed(0)}/s), ` +
          `hub RSS ${mb(run.before.rss)} → peak ${mb(run.peak.rss)}` +
          (run.writes ? `, records rows written ${JSON.stringify(run.writes)}` : ""),
      );
    let last = "";
    for (const count of [Math.max(1, Math.floor(syncCount / 10)), syncCount]) {
      say(`full sync of ${count} QuickBooks customers from the simulator`);
      last = await newRealm(hub, simulatorBase, count);
      const run = await syncOnce(hub, last, count, "full");
      show(run);
      runs.push(run);
    }
    say(`full re-sync of the same ${syncCount} customers, nothing changed at the provider`);
    await d1(worker, COUNT_WRITES);
    const resync = await syncOnce(hub, last, syncCount, "re-sync");
    resync.writes = await recordWrites(worker);
    show(resync);
    runs.push(resync);
    hub.heap.close();
    return { runs, simulator: { before: simBefore, after: workerdMemory(simulator) } };
  } finally {
    await stopWorker(worker);
    running.delete(worker);
  }
}
