/**
 * Full sync: a QuickBooks integration answered by the sandbox, its customers sized to n/10 and
 * then n (a fresh realm, so a fresh dataset, each), synced while workerd's RSS is sampled.
 */
import { api, randomToken, sleep } from "../scripts/lib.ts";
import { mb, say } from "./log.ts";
import { workerdRss } from "./rss.ts";
import type { LocalWorker } from "./worker.ts";

/** One full sync's measurement. */
export interface SyncRun {
  count: number;
  records: number;
  pages: number;
  /** Start request to `success` seen by polling. */
  wallSeconds: number;
  /** The job's own started_at → completed_at. */
  jobSeconds: number;
  /** Summed RSS of the workerd processes just before the start request, and the peak during the run. */
  rssBefore: number;
  rssPeak: number;
  rssSamples: number;
  /** Polls that saw the job paused (pacing). */
  pausedPolls: number;
}

/** How often the job is polled. */
export const SYNC_POLL_MS = 250;
/** How often workerd's RSS is sampled. */
export const RSS_SAMPLE_MS = 200;
const SYNC_STALL_MS = 60_000;
/** Generous: 10 minutes for 50,000 records, never under 2 minutes. */
const syncTimeoutMs = (n: number) => Math.max(120_000, n * 12);

let realmSeq = 0;

/** Syncs `count` customers of a fresh realm once, sampling workerd's RSS meanwhile. */
async function syncOnce(worker: LocalWorker, base: string, apiKey: string, count: number): Promise<SyncRun> {
  // Unique per run: the sandbox keys QuickBooks datasets by realm id.
  const realm = `93414530${String(Date.now() % 1e6).padStart(6, "0")}${String(++realmSeq).padStart(2, "0")}`;
  const created = await api(base, "POST", "/api/integrations", {
    token: apiKey,
    body: {
      provider: "quickbooks",
      name: `bench qbo ${count}`,
      access_token: `eyJ.bench${randomToken(12)}`,
      realm_id: realm,
      environment: "sandbox",
    },
  });
  if (created.status !== 201)
    throw new Error(`POST /api/integrations (quickbooks) → HTTP ${created.status} ${created.text}`);
  const id: string = created.body.integration.id;
  const sized = await api(base, "POST", "/sandbox/_data/quickbooks/customers", {
    body: { account: realm, count },
  });
  if (sized.status !== 200)
    throw new Error(`POST /sandbox/_data/quickbooks/customers → HTTP ${sized.status} ${sized.text}`);

  const rssBefore = workerdRss(worker);
  let rssPeak = rssBefore;
  let rssSamples = 1;
  let samplerError: unknown;
  const sampler = setInterval(() => {
    try {
      rssPeak = Math.max(rssPeak, workerdRss(worker));
      rssSamples++;
    } catch (e) {
      samplerError = e;
    }
  }, RSS_SAMPLE_MS);

  try {
    const started = Date.now();
    const start = await api(base, "POST", `/api/integrations/${id}/sync/customers`, { token: apiKey });
    if (start.status !== 202)
      throw new Error(`POST /api/integrations/${id}/sync/customers → HTTP ${start.status} ${start.text}`);
    const jobId: string = start.body.job.id;
    const timeoutMs = syncTimeoutMs(count);
    let lastPages = -1;
    let lastProgressAt = Date.now();
    let lastShown = 0;
    let pausedPolls = 0;
    for (;;) {
      const res = await api(base, "GET", `/api/integrations/${id}/sync-jobs/${jobId}`, { token: apiKey });
      if (res.status !== 200)
        throw new Error(`GET /api/integrations/${id}/sync-jobs/${jobId} → HTTP ${res.status} ${res.text}`);
      const job = res.body.job;
      const now = Date.now();
      const state = `${job.status}, ${job.pages_done} pages, ${job.records_synced} records`;
      if (job.status === "success") {
        const wallSeconds = (now - started) / 1000;
        rssPeak = Math.max(rssPeak, workerdRss(worker));
        rssSamples++;
        if (samplerError) throw samplerError;
        const jobSeconds =
          job.started_at && job.completed_at
            ? (Date.parse(job.completed_at) - Date.parse(job.started_at)) / 1000
            : Number.NaN;
        if (job.records_synced !== count)
          say(`\x1b[33mwarning: sync of ${count} finished with ${job.records_synced} records\x1b[0m`);
        const check = await api(base, "GET", `/api/integrations/${id}/records/customers?limit=1`, {
          token: apiKey,
        });
        if (check.status !== 200 || !check.body.records?.length)
          throw new Error(`sync of ${count} succeeded but the records route shows none: ${check.text}`);
        return {
          count,
          records: job.records_synced,
          pages: job.pages_done,
          wallSeconds,
          jobSeconds,
          rssBefore,
          rssPeak,
          rssSamples,
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
        say(`  ${((now - started) / 1000).toFixed(0)} s: ${state}, workerd RSS ${mb(rssPeak)} peak`);
      }
      await sleep(SYNC_POLL_MS);
    }
  } finally {
    clearInterval(sampler);
  }
}

/** Two full syncs in a new organization: `syncCount / 10` records, then `syncCount`. */
export async function syncBench(
  worker: LocalWorker,
  base: string,
  adminToken: string,
  syncCount: number,
): Promise<SyncRun[]> {
  const org = await api(base, "POST", "/admin/organizations", {
    token: adminToken,
    body: { name: "Bench sync", slug: `bench-sync-${Date.now()}` },
  });
  if (org.status !== 201) throw new Error(`POST /admin/organizations → HTTP ${org.status} ${org.text}`);
  const apiKey: string = org.body.api_key;
  const runs: SyncRun[] = [];
  for (const count of [Math.max(1, Math.floor(syncCount / 10)), syncCount]) {
    say(`full sync of ${count} QuickBooks customers from the sandbox`);
    const run = await syncOnce(worker, base, apiKey, count);
    say(
      `  ${run.records} records in ${run.wallSeconds.toFixed(1)} s (${(run.records / run.wallSeconds).toFixed(0)}/s), ` +
        `workerd RSS ${mb(run.rssBefore)} → peak ${mb(run.rssPeak)}`,
    );
    runs.push(run);
  }
  return runs;
}
