/**
 * `npm run bench [-- --duration <s>] [--connections <n>] [--seed <n>] [--messages <n>] [--sync <n>]`
 *
 * Bundles the worker once and serves that bundle with `wrangler dev` on a free port with
 * throwaway state (its own D1 in a temp dir, fresh secrets), creates an organization, seeds it
 * with integrations through the API, then load-tests each route of `routes()` (bench/routes.ts)
 * with autocannon and prints a markdown table, also written to bench/results.md. Numbers are for
 * `wrangler dev` on this machine: compare routes with each other (the "vs bare" column), not with
 * production. Then it delivers messages end to end and runs full QuickBooks syncs from the sandbox
 * (n/10 records, then n), sampling workerd's RSS meanwhile.
 *
 * The pieces: options.ts (command line), worker.ts (start/stop), seed.ts, routes.ts (scenarios),
 * measure.ts (autocannon), delivery.ts, sync.ts with rss.ts, report.ts (tables, results.md).
 */
import { errorMessage } from "../scripts/lib.ts";
import { deliverMessages } from "./delivery.ts";
import { say } from "./log.ts";
import { measure, type Row } from "./measure.ts";
import { parseOptions, WARMUP_S } from "./options.ts";
import { deliverySummary, report } from "./report.ts";
import { type BenchRoute, routes } from "./routes.ts";
import { type Fixture, seed } from "./seed.ts";
import { syncBench } from "./sync.ts";
import { newLocalWorker, startWorker, stopWorker } from "./worker.ts";

const options = parseOptions();
const { only, duration, connections } = options;

const worker = newLocalWorker();
let interrupted = false;
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    if (interrupted) return;
    interrupted = true;
    say(`${sig}: stopping wrangler and removing ${worker.state}`);
    stopWorker(worker).finally(() => process.exit(sig === "SIGINT" ? 130 : 143));
  });
}

async function main() {
  const { base, adminToken } = await startWorker(worker);

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
  const fixture = onlyBare ? placeholder : await seed(base, adminToken, options.seedCount);
  const list = routes(fixture).filter(selected);
  const rows: Row[] = [];
  for (const [i, route] of list.entries()) {
    say(
      `[${i + 1}/${list.length}] ${route.name}: ${WARMUP_S} s warm-up + ${duration} s, ${route.options?.connections ?? connections} connection(s)`,
    );
    const row = await measure(base, route, options);
    say(`  ${row.rps.toFixed(0)} req/s, p50 ${row.p50} ms, p99 ${row.p99} ms, non-2xx ${row.non2xx}`);
    rows.push(row);
  }

  const delivery = only ? undefined : await deliverMessages(base, adminToken, options.messageCount);
  const deliveryLine = deliverySummary(delivery);
  say(deliveryLine);

  const syncRuns =
    !only || only.includes("sync") ? await syncBench(worker, base, options.syncCount) : undefined;

  report({ rows, deliveryLine, syncRuns, onlyBare }, options);
}

main()
  .catch((e) => {
    if (interrupted) return; // the signal handler is cleaning up; this error is its echo
    console.error(`\x1b[31m[bench] ${errorMessage(e)}\x1b[0m`);
    if (worker.tail.length)
      console.error(`--- last wrangler output ---\n${worker.tail.join("").slice(-4000)}`);
    process.exitCode = 1;
  })
  .finally(() => {
    if (!interrupted) return stopWorker(worker);
  });
