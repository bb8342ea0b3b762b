/**
 * `npm run bench [-- --duration <s>] [--connections <n>] [--seed <n>] [--messages <n>] [--sync <n>]`
 *
 * Bundles the worker once and serves that bundle with `wrangler dev` on a free port with
 * throwaway state (its own D1 in a temp dir, fresh secrets), creates an organization, seeds it
 * with integrations through the API, then load-tests each route of `routes()` below with
 * autocannon and prints a markdown table, also written to bench/results.md. Numbers are for `wrangler dev` on this machine: compare routes with each
 * other (the "vs bare" column), not with production. Then it delivers messages end to end and runs
 * full QuickBooks syncs from the sandbox (n/10 records, then n), sampling workerd's RSS meanwhile.
 */
import type { ChildProcess } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { cpus, platform, release, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import {
  api,
  applyLocalMigrations,
  DEV_BUNDLE,
  DEV_ENV,
  errorMessage,
  freePort,
  newKeyRing,
  ROOT,
  randomToken,
  runWrangler,
  sleep,
  spawnWrangler,
  waitForHealth,
} from "../scripts/lib.ts";

/** What the routes below can refer to: the seeded organization and one of its integrations. */
interface Fixture {
  orgId: string;
  apiKey: string;
  integrationId: string;
  /** A Telegram integration (answered by the sandbox) for the message routes. */
  telegramId: string;
  /** A custom integration whose webhooks are signed the Standard Webhooks way. */
  webhookUrl: string;
}

/** The signing secret of the benchmark's webhook integration (`whsec_` + base64 of 32 bytes). */
const WEBHOOK_SECRET = `whsec_${randomBytes(32).toString("base64")}`;
let webhookSeq = 0;

/**
 * Every request a new Standard Webhooks event (new `webhook-id`, body and signature), so each is
 * verified, stored and enqueued rather than recognised as a duplicate.
 */
function signedWebhook(req: autocannon.Request): autocannon.Request {
  const id = `msg_bench_${process.pid}_${++webhookSeq}`;
  const ts = Math.floor(Date.now() / 1000);
  const body = JSON.stringify({
    type: "invoice.paid",
    data: { id: webhookSeq, amount: 4200, currency: "USD" },
  });
  const key = Buffer.from(WEBHOOK_SECRET.slice("whsec_".length), "base64");
  const sig = createHmac("sha256", key).update(`${id}.${ts}.${body}`).digest("base64");
  return {
    ...req,
    body,
    headers: {
      ...req.headers,
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(ts),
      "webhook-signature": `v1,${sig}`,
    },
  };
}

interface BenchRoute {
  name: string;
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  headers?: Record<string, string>;
  /** A JSON body (sent as-is on every request). */
  body?: unknown;
  /** Extra autocannon options. */
  options?: Record<string, unknown>;
  /** Builds each request anew (autocannon's `setupRequest`): a new body, new headers. */
  perRequest?: (req: autocannon.Request) => autocannon.Request;
}

/**
 * The routes to measure. The first one is the baseline the others are compared with: a bare
 * route that does no auth and no D1 work. Add routes here (message submission, webhook
 * ingestion, ...); a POST route sends `body` as JSON.
 */
function routes(f: Fixture): BenchRoute[] {
  const auth = { authorization: `Bearer ${f.apiKey}` };
  return [
    { name: "bare: GET /ping", method: "GET", path: "/ping" },
    { name: "bare: GET /ping", method: "GET", path: "/ping", options: { connections: 1 } },
    {
      name: "REST get one: GET /api/integrations/{id}",
      method: "GET",
      path: `/api/integrations/${f.integrationId}`,
      headers: auth,
    },
    {
      name: "REST list page: GET /api/integrations?limit=50",
      method: "GET",
      path: "/api/integrations?limit=50",
      headers: auth,
    },
    {
      name: "001 list page: GET /organization-integrations?limit=50",
      method: "GET",
      path: `/organization-integrations?org_id=${f.orgId}&limit=50`,
      headers: auth,
    },
    {
      name: "message submit (202): POST /api/messages",
      method: "POST",
      path: "/api/messages",
      headers: auth,
      body: { integration_id: f.telegramId, to: "100200300", text: "Benchmark message" },
    },
    {
      name: "signed webhook ingestion (verify + store + enqueue): POST /webhooks/other/{id}",
      method: "POST",
      path: new URL(f.webhookUrl).pathname,
      perRequest: signedWebhook,
    },
    {
      name: "signed webhook ingestion (verify + store + enqueue): POST /webhooks/other/{id}",
      method: "POST",
      path: new URL(f.webhookUrl).pathname,
      perRequest: signedWebhook,
      options: { connections: 1 },
    },
  ];
}

const USAGE = `Usage: npm run bench [-- --duration <s>] [--connections <n>] [--seed <n>] [--messages <n>] [--sync <n>]

  --duration <s>      seconds per route, after a 2 s warm-up (default 10)
  --connections <n>   concurrent connections (default 10)
  --seed <n>          integrations to create in the benchmark organization (default 10000)
  --messages <n>      messages to deliver end to end through the sandbox (default 10000)
  --sync <n>          records of the full QuickBooks sync benchmark: one sync of n/10, then one of n
                      (default 50000)
  --only <words>      measure only the routes whose name contains one of these comma-separated
                      words (the bare routes always run); skips the end-to-end delivery, and the
                      sync benchmark unless one word is "sync" (\`--only sync\`: bare routes + sync)`;

const { values: flags } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    connections: { type: "string", default: "10" },
    seed: { type: "string", default: "10000" },
    messages: { type: "string", default: "10000" },
    sync: { type: "string", default: "50000" },
    only: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (flags.help) {
  console.log(USAGE);
  process.exit(0);
}
const duration = Number(flags.duration);
const connections = Number(flags.connections);
const seedCount = Number(flags.seed);
const messageCount = Number(flags.messages);
const syncCount = Number(flags.sync);
for (const [k, v] of Object.entries({
  duration,
  connections,
  seed: seedCount,
  messages: messageCount,
  sync: syncCount,
})) {
  if (!Number.isInteger(v) || v < 1) {
    console.error(`--${k} must be a positive integer\n\n${USAGE}`);
    process.exit(2);
  }
}
const WARMUP_S = 2;
const SEED_CONCURRENCY = 32;

const say = (msg: string) => console.log(`\x1b[36m[bench]\x1b[0m ${msg}`);

// ---------------------------------------------------------------------------------------------
// The local worker and its cleanup.

const state = mkdtempSync(join(tmpdir(), "switchboard-bench-"));
let wrangler: ChildProcess | undefined;
/** The last lines wrangler printed, shown when something goes wrong. */
const wranglerTail: string[] = [];

async function cleanup() {
  const child = wrangler;
  wrangler = undefined;
  if (child?.pid) {
    const pid = child.pid;
    const exited =
      child.exitCode !== null || child.signalCode !== null
        ? Promise.resolve()
        : new Promise<void>((res) => child.once("exit", () => res()));
    // wrangler runs in its own process group (detached), with workerd under it: stop them all.
    const killGroup = (sig: NodeJS.Signals) => {
      try {
        process.kill(-pid, sig);
      } catch {
        // already gone
      }
    };
    killGroup("SIGTERM");
    const timedOut = await Promise.race([exited.then(() => false), sleep(5_000).then(() => true)]);
    await sleep(timedOut ? 0 : 200);
    killGroup("SIGKILL"); // whatever is left of the group (normally nothing)
  }
  rmSync(state, { recursive: true, force: true });
}

let interrupted = false;
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    if (interrupted) return;
    interrupted = true;
    say(`${sig}: stopping wrangler and removing ${state}`);
    cleanup().finally(() => process.exit(sig === "SIGINT" ? 130 : 143));
  });
}

async function startWorker(): Promise<{ base: string; adminToken: string }> {
  const port = await freePort();
  const inspectorPort = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // Secrets go in a temporary env file (with --env-file, wrangler ignores the project's .dev.vars).
  const varsFile = join(state, "bench.vars");
  const vars = {
    ADMIN_TOKEN: randomToken(32),
    ENCRYPTION_KEYS: newKeyRing(),
    ALLOW_PRIVATE_URLS: "true",
    // Every provider answers from the built-in simulator (the message routes use Telegram).
    SANDBOX_ENABLED: "true",
    PUBLIC_URL: base,
  };
  writeFileSync(
    varsFile,
    Object.entries(vars)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(""),
    { mode: 0o600 },
  );

  say(`applying migrations to a fresh local D1 in ${state}`);
  await applyLocalMigrations(["--persist-to", state], { quiet: true });

  // Benchmark a frozen build: `wrangler dev` on src/ reloads the worker whenever a file changes
  // ("Your worker restarted mid-request"), so bundle once and serve that bundle and a copy of
  // public/, with config watching off too.
  say("bundling the worker (wrangler deploy --dry-run)");
  const dist = join(state, "dist");
  const assets = join(state, "assets");
  await runWrangler(["deploy", "--dry-run", "--env", DEV_ENV, "--outdir", dist], { quiet: true });
  if (existsSync(join(ROOT, "public"))) cpSync(join(ROOT, "public"), assets, { recursive: true });
  else mkdirSync(assets);

  say(`starting wrangler dev on ${base}`);
  // biome-ignore format: one flag and its value a line
  const args = [
    "dev", join(dist, DEV_BUNDLE), "--no-bundle",
    "--config", join(ROOT, "wrangler.toml"),
    "--env", DEV_ENV,
    "--assets", assets,
    "--ip", "127.0.0.1",
    "--port", String(port),
    "--inspector-port", String(inspectorPort),
    "--persist-to", state,
    "--env-file", varsFile,
    "--show-interactive-dev-session=false",
    "--log-level", "warn",
  ];
  const child = spawnWrangler(args, {
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
    env: { WRANGLER_CI_DISABLE_CONFIG_WATCHING: "true" },
  });
  wrangler = child;
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => {
      wranglerTail.push(chunk);
      if (wranglerTail.length > 200) wranglerTail.splice(0, wranglerTail.length - 200);
    });
  }
  await waitForHealth(base, { child, timeoutMs: 90_000 });
  return { base, adminToken: vars.ADMIN_TOKEN };
}

// ---------------------------------------------------------------------------------------------
// Seeding.

async function seed(base: string, adminToken: string): Promise<Fixture> {
  const org = await api(base, "POST", "/admin/organizations", {
    token: adminToken,
    body: { name: "Bench Organization", slug: `bench-${Date.now()}` },
  });
  if (org.status !== 201) throw new Error(`POST /admin/organizations → HTTP ${org.status} ${org.text}`);
  const orgId: string = org.body.organization.id;
  const apiKey: string = org.body.api_key;

  say(
    `seeding ${seedCount} sendgrid integrations in organization ${orgId} (concurrency ${SEED_CONCURRENCY})`,
  );
  const started = Date.now();
  let next = 0;
  let done = 0;
  let firstId: string | undefined;
  let lastShown = 0;
  const tty = process.stdout.isTTY;
  const progress = (final = false) => {
    const now = Date.now();
    if (!final && now - lastShown < (tty ? 250 : 5_000)) return;
    lastShown = now;
    const rate = done / Math.max((now - started) / 1000, 0.001);
    const line = `  ${done}/${seedCount} (${Math.floor((100 * done) / seedCount)}%), ${rate.toFixed(0)}/s`;
    if (tty) process.stdout.write(`\r${line}${final ? "\n" : ""}`);
    else console.log(line);
  };
  const workerLoop = async () => {
    while (next < seedCount) {
      const i = next++;
      const n = String(i + 1).padStart(6, "0");
      const res = await api(base, "POST", "/api/integrations", {
        token: apiKey,
        body: {
          provider: "sendgrid",
          name: `Bench ${n}`,
          api_key: `SG.bench-${n}-${randomToken(12)}`,
          from_email: `bench${n}@example.com`,
        },
      });
      if (res.status !== 201)
        throw new Error(`POST /api/integrations (#${i + 1}) → HTTP ${res.status} ${res.text}`);
      if (i === 0) firstId = res.body.integration.id;
      done++;
      progress();
    }
  };
  await Promise.all(Array.from({ length: Math.min(SEED_CONCURRENCY, seedCount) }, workerLoop));
  progress(true);
  if (!firstId) throw new Error("seeding created nothing");
  say(`seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const telegramId = await telegramIntegration(base, apiKey);
  const webhookUrl = await webhookIntegration(base, apiKey);
  return { orgId, apiKey, integrationId: firstId, telegramId, webhookUrl };
}

async function telegramIntegration(base: string, apiKey: string): Promise<string> {
  const res = await api(base, "POST", "/api/integrations", {
    token: apiKey,
    body: { provider: "telegram", name: "Bench bot", bot_token: "123456:bench-token" },
  });
  if (res.status !== 201)
    throw new Error(`POST /api/integrations (telegram) → HTTP ${res.status} ${res.text}`);
  return res.body.integration.id;
}

async function webhookIntegration(base: string, apiKey: string): Promise<string> {
  const res = await api(base, "POST", "/api/integrations", {
    token: apiKey,
    body: {
      provider: "other",
      name: "Bench webhooks",
      api_key: "bench-key",
      api_base_url: "https://api.example.com",
      webhook_secret: WEBHOOK_SECRET,
    },
  });
  if (res.status !== 201) throw new Error(`POST /api/integrations (other) → HTTP ${res.status} ${res.text}`);
  return res.body.integration.webhook_url;
}

// ---------------------------------------------------------------------------------------------
// End-to-end delivery: submit messages, then wait until the queue consumer has sent them all
// through the sandbox.

interface Delivery {
  count: number;
  submitSeconds: number;
  totalSeconds: number;
  sent: number;
  failed: number;
}

async function deliverMessages(base: string, adminToken: string): Promise<Delivery> {
  const org = await api(base, "POST", "/admin/organizations", {
    token: adminToken,
    body: { name: "Bench delivery", slug: `bench-delivery-${Date.now()}` },
  });
  if (org.status !== 201) throw new Error(`POST /admin/organizations → HTTP ${org.status} ${org.text}`);
  const apiKey: string = org.body.api_key;
  const telegramId = await telegramIntegration(base, apiKey);
  say(`delivering ${messageCount} messages end to end through the sandbox`);
  const started = Date.now();
  let next = 0;
  const submitLoop = async () => {
    while (next < messageCount) {
      const i = next++;
      const res = await api(base, "POST", "/api/messages", {
        token: apiKey,
        body: { integration_id: telegramId, to: String(100000 + i), text: `Delivery ${i}` },
      });
      if (res.status !== 202)
        throw new Error(`POST /api/messages (#${i + 1}) → HTTP ${res.status} ${res.text}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(SEED_CONCURRENCY, messageCount) }, submitLoop));
  const submitSeconds = (Date.now() - started) / 1000;
  say(`  submitted in ${submitSeconds.toFixed(1)} s; waiting for the queue to send them`);
  let lastDone = -1;
  let lastProgressAt = Date.now();
  for (;;) {
    const stats = await api(base, "GET", "/api/integrations/stats", { token: apiKey });
    const byStatus = stats.body.messages.by_status as Record<string, number>;
    const done = (byStatus.sent ?? 0) + (byStatus.failed ?? 0);
    if (done >= messageCount) {
      return {
        count: messageCount,
        submitSeconds,
        totalSeconds: (Date.now() - started) / 1000,
        sent: byStatus.sent ?? 0,
        failed: byStatus.failed ?? 0,
      };
    }
    if (done !== lastDone) {
      lastDone = done;
      lastProgressAt = Date.now();
    } else if (Date.now() - lastProgressAt > 120_000) {
      throw new Error(`delivery stalled at ${done}/${messageCount} (by status: ${JSON.stringify(byStatus)})`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

// ---------------------------------------------------------------------------------------------
// Full sync: a QuickBooks integration answered by the sandbox, its customers sized to n/10 and
// then n (a fresh realm, so a fresh dataset, each), synced while workerd's RSS is sampled.

interface SyncRun {
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

const SYNC_POLL_MS = 250;
const RSS_SAMPLE_MS = 200;
const SYNC_STALL_MS = 60_000;
/** Generous: 10 minutes for 50,000 records, never under 2 minutes. */
const syncTimeoutMs = (n: number) => Math.max(120_000, n * 12);

/** The pids of the processes under `root` (any depth) whose command line mentions workerd. */
function workerdPids(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so split after the last ")".
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // the process ended meanwhile
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const c of children.get(pid) ?? []) {
      try {
        if (readFileSync(`/proc/${c}/cmdline`, "utf8").includes("workerd")) out.push(c);
      } catch {
        // gone
      }
      walk(c);
    }
  };
  walk(root);
  return out;
}

/** Summed VmRSS of `pids`, in bytes (processes that are gone count 0). */
function rssOf(pids: number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      const m = readFileSync(`/proc/${pid}/status`, "utf8").match(/^VmRSS:\s+(\d+)\s+kB/m);
      if (m?.[1]) total += Number(m[1]) * 1024;
    } catch {
      // gone
    }
  }
  return total;
}

function workerdRss(): number {
  const pid = wrangler?.pid;
  if (!pid) throw new Error("wrangler is not running");
  const pids = workerdPids(pid);
  if (!pids.length) throw new Error(`no workerd process found under wrangler (pid ${pid})`);
  return rssOf(pids);
}

let realmSeq = 0;

async function syncOnce(base: string, apiKey: string, count: number): Promise<SyncRun> {
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

  const rssBefore = workerdRss();
  let rssPeak = rssBefore;
  let rssSamples = 1;
  let samplerError: unknown;
  const sampler = setInterval(() => {
    try {
      rssPeak = Math.max(rssPeak, workerdRss());
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
        rssPeak = Math.max(rssPeak, workerdRss());
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

async function syncBench(base: string, adminToken: string): Promise<SyncRun[]> {
  const org = await api(base, "POST", "/admin/organizations", {
    token: adminToken,
    body: { name: "Bench sync", slug: `bench-sync-${Date.now()}` },
  });
  if (org.status !== 201) throw new Error(`POST /admin/organizations → HTTP ${org.status} ${org.text}`);
  const apiKey: string = org.body.api_key;
  const runs: SyncRun[] = [];
  for (const count of [Math.max(1, Math.floor(syncCount / 10)), syncCount]) {
    say(`full sync of ${count} QuickBooks customers from the sandbox`);
    const run = await syncOnce(base, apiKey, count);
    say(
      `  ${run.records} records in ${run.wallSeconds.toFixed(1)} s (${(run.records / run.wallSeconds).toFixed(0)}/s), ` +
        `workerd RSS ${mb(run.rssBefore)} → peak ${mb(run.rssPeak)}`,
    );
    runs.push(run);
  }
  return runs;
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

function syncTable(runs: SyncRun[]): string {
  const head = [
    "Records",
    "Pages",
    "Wall (s)",
    "Records/s (wall)",
    "Job (s)",
    "Records/s (job)",
    "RSS before (MB)",
    "RSS peak (MB)",
    "Growth (MB)",
    "Paused polls",
  ];
  const body = runs.map((r) => [
    String(r.records),
    String(r.pages),
    r.wallSeconds.toFixed(1),
    (r.records / r.wallSeconds).toFixed(0),
    r.jobSeconds.toFixed(1),
    (r.records / r.jobSeconds).toFixed(0),
    (r.rssBefore / 2 ** 20).toFixed(1),
    (r.rssPeak / 2 ** 20).toFixed(1),
    ((r.rssPeak - r.rssBefore) / 2 ** 20).toFixed(1),
    String(r.pausedPolls),
  ]);
  return alignedTable(head, body);
}

// ---------------------------------------------------------------------------------------------
// Measuring.

interface Row {
  name: string;
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

async function measure(base: string, route: BenchRoute): Promise<Row> {
  const opts = {
    url: `${base}${route.path}`,
    method: route.method,
    headers: {
      ...(route.body !== undefined ? { "content-type": "application/json" } : {}),
      ...route.headers,
    },
    body: route.body === undefined ? undefined : JSON.stringify(route.body),
    connections,
    ...(route.perRequest ? { requests: [{ method: route.method, setupRequest: route.perRequest }] } : {}),
    ...route.options,
  };
  // One request first, so a broken route is reported with its answer, not just counted.
  const first = route.perRequest?.({ headers: opts.headers }) ?? opts;
  const probe = await fetch(opts.url, {
    method: opts.method,
    headers: first.headers as Record<string, string>,
    body: first.body?.toString(),
  });
  const probeText = await probe.text();
  if (!probe.ok)
    say(
      `\x1b[33mwarning: ${route.method} ${route.path} → HTTP ${probe.status} ${probeText.slice(0, 300)}\x1b[0m`,
    );

  await autocannon({ ...opts, duration: WARMUP_S });
  const r = await autocannon({ ...opts, duration });
  return {
    name: route.name,
    connections: opts.connections as number,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  };
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

/** Markdown rows with the first column left-aligned and the others (numbers) right-aligned. */
function alignedTable(head: string[], body: string[][]): string {
  const widths = head.map((h, i) => Math.max(3, h.length, ...body.map((cells) => (cells[i] ?? "").length)));
  // The first column is left-aligned, the numbers right-aligned.
  const cell = (text: string, i: number) =>
    i === 0 ? text.padEnd(widths[i] ?? 0) : text.padStart(widths[i] ?? 0);
  const line = (cells: string[]) => `| ${cells.map(cell).join(" | ")} |`;
  const rule = `| ${widths.map((w, i) => (i === 0 ? "-".repeat(w) : `${"-".repeat(w - 1)}:`)).join(" | ")} |`;
  return [line(head), rule, ...body.map(line)].join("\n");
}

async function main() {
  const { base, adminToken } = await startWorker();

  const only = flags.only
    ?.split(",")
    .map((w) => w.trim().toLowerCase())
    .filter(Boolean);
  const selected = (r: BenchRoute) =>
    !only || r.name.startsWith("bare") || only.some((w) => r.name.toLowerCase().includes(w));
  // The bare routes use nothing of the fixture: seed only when another route is to be measured.
  const placeholder: Fixture = {
    orgId: "",
    apiKey: "",
    integrationId: "",
    telegramId: "",
    webhookUrl: "http://127.0.0.1/",
  };
  const onlyBare = routes(placeholder)
    .filter(selected)
    .every((r) => r.name.startsWith("bare"));
  const fixture = onlyBare ? placeholder : await seed(base, adminToken);
  const list = routes(fixture).filter(selected);
  const rows: Row[] = [];
  for (const [i, route] of list.entries()) {
    say(
      `[${i + 1}/${list.length}] ${route.name}: ${WARMUP_S} s warm-up + ${duration} s, ${route.options?.connections ?? connections} connection(s)`,
    );
    const row = await measure(base, route);
    say(`  ${row.rps.toFixed(0)} req/s, p50 ${row.p50} ms, p99 ${row.p99} ms, non-2xx ${row.non2xx}`);
    rows.push(row);
  }

  let deliveryLine = "End-to-end delivery: not measured in this run (--only).";
  if (!only) {
    const delivery = await deliverMessages(base, adminToken);
    deliveryLine =
      `End-to-end delivery through the sandbox: ${delivery.count} messages submitted in ` +
      `${delivery.submitSeconds.toFixed(1)} s, all ${delivery.sent} sent (${delivery.failed} failed) after ` +
      `${delivery.totalSeconds.toFixed(1)} s (${(delivery.count / delivery.totalSeconds).toFixed(0)} messages/s).`;
  }
  say(deliveryLine);

  const syncRuns = !only || only.includes("sync") ? await syncBench(base, adminToken) : undefined;

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
    const st = syncTable(syncRuns);
    console.log(`${st}\n`);
    const bare = rows.filter((r) => r.name.startsWith("bare"));
    const bareLine = bare.length
      ? `Bare route in the same run: \`GET /ping\` ${bare.map((r) => `${r.rps.toFixed(0)} req/s at ${r.connections} connection(s)`).join(", ")}.`
      : "";
    const [small, big] = syncRuns;
    const perRecord =
      small && big
        ? `RSS growth per run: ${mb(small.rssPeak - small.rssBefore)} for ${small.records} records, ` +
          `${mb(big.rssPeak - big.rssBefore)} for ${big.records} (${(big.records / small.records).toFixed(0)}× the records).`
        : "";
    syncSection = [
      "## Sync",
      "",
      `- Date: ${new Date().toISOString()}`,
      `- Machine: ${machine}`,
      `- Command: ${command}`,
      "- Setup: a QuickBooks integration (`environment: sandbox`, answered by the in-process simulator, 1,000 " +
        "customers a page, one queue message a page), `POST /api/integrations/{id}/sync/customers` then " +
        `\`GET .../sync-jobs/{job_id}\` every ${SYNC_POLL_MS} ms until \`success\`; a fresh realm (dataset) per size.`,
      "",
      st,
      "",
      "Wall is the start request to the first poll that saw `success`; Job is the job's own `started_at` → " +
        `\`completed_at\`. RSS is the sum over the workerd processes under wrangler, sampled every ${RSS_SAMPLE_MS} ms: ` +
        '"before" just ahead of the start request (after the sandbox dataset was sized), growth = peak − before. ' +
        "The larger run follows the smaller in the same workerd, and the simulator's dataset lives in that process too. " +
        "Paused polls count the polls that saw the job `paused` (pacing).",
      ...(perRecord ? ["", perRecord] : []),
      ...(bareLine ? ["", bareLine] : []),
    ].join("\n");
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

main()
  .catch((e) => {
    if (interrupted) return; // the signal handler is cleaning up; this error is its echo
    console.error(`\x1b[31m[bench] ${errorMessage(e)}\x1b[0m`);
    if (wranglerTail.length)
      console.error(`--- last wrangler output ---\n${wranglerTail.join("").slice(-4000)}`);
    process.exitCode = 1;
  })
  .finally(() => {
    if (!interrupted) return cleanup();
  });
