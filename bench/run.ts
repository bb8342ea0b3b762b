/**
 * `npm run bench [-- --duration <s>] [--runs <n>] [--connections <n>] [--seed <n>] [--messages <n>] [--sync <n>] [--logs <n>] [--only <words>]`
 *
 * Bundles the worker once and serves that bundle with `wrangler dev` on a free port with
 * throwaway state (its own D1 in a temp dir, fresh secrets), creates an organization, seeds it
 * with integrations through the API, then load-tests each route of `routes()` (bench/routes.ts)
 * with autocannon in interleaved rounds (medians of `--runs`), delivers messages end to end, runs
 * full QuickBooks syncs from the sandbox, and measures an integration's log page before and after
 * its table holds a million rows. It prints the tables and the targets, also written to
 * bench/results.md. Numbers are for `wrangler dev` on this machine: compare routes with each
 * other (the "vs bare" columns), not with production.
 *
 * The pieces: options.ts (command line), worker.ts (start/stop), seed.ts, routes.ts (scenarios),
 * measure.ts (autocannon), delivery.ts, sync.ts with rss.ts, retention.ts, targets.ts, report.ts.
 */
import { errorMessage } from "../scripts/lib.ts";
import { deliverMessages } from "./delivery.ts";
import { untilIdle } from "./idle.ts";
import { say } from "./log.ts";
import { measureRounds, type Row } from "./measure.ts";
import { parseOptions } from "./options.ts";
import { deliverySummary, report } from "./report.ts";
import { retentionBench } from "./retention.ts";
import { routes } from "./routes.ts";
import { type Fixture, seed } from "./seed.ts";
import { tableWeights } from "./storage.ts";
import { syncBench } from "./sync.ts";
import { newLocalWorker, startWorker, stopWorker } from "./worker.ts";

const options = parseOptions();
const { only } = options;

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

/** Whether a scenario named `name` is to run (`--only` words; the bare routes always run). */
const selected = (name: string) =>
  !only || name.startsWith("bare") || only.some((w) => name.toLowerCase().includes(w));

async function main() {
  const started = Date.now();
  const { base, adminToken } = await startWorker(worker);

  // The bare routes use nothing of the fixture: seed only when another scenario is to run.
  const placeholder: Fixture = {
    orgId: "",
    apiKey: "",
    integrationId: "",
    telegramId: "",
    webhookUrl: "http://127.0.0.1/",
    inactiveWebhookUrl: "http://127.0.0.1/",
  };
  const wantsRetention = selected("retention");
  const onlyBare =
    !wantsRetention &&
    routes(placeholder)
      .filter((r) => selected(r.name))
      .every((r) => r.name.startsWith("bare"));
  const fixture = onlyBare ? placeholder : await seed(base, adminToken, options.seedCount);
  const idle = () => untilIdle(worker);
  const rows: Row[] = await measureRounds(
    base,
    routes(fixture).filter((r) => selected(r.name)),
    { ...options, idle },
  );

  const delivery = selected("delivery")
    ? await deliverMessages(base, adminToken, options.messageCount)
    : undefined;
  const deliveryLine = deliverySummary(delivery);
  say(deliveryLine);

  const syncRuns = selected("sync") ? await syncBench(worker, base, options.syncCount) : undefined;

  // Last: the million log rows it writes stay in the table.
  const retention = wantsRetention
    ? await retentionBench(worker, base, fixture, { ...options, idle, logRows: options.logRows })
    : [];

  const weights = tableWeights(worker);
  report(
    { rows, retention, deliveryLine, syncRuns, onlyBare, weights, seconds: (Date.now() - started) / 1000 },
    options,
  );
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
