/**
 * The benchmark's command line: `--duration`, `--runs`, `--connections`, `--seed`, `--messages`,
 * `--sync`, `--logs` and `--only`, parsed and checked once; `--help` prints the usage.
 */
import { parseArgs } from "node:util";

/** What one benchmark run measures, and how hard. */
export interface BenchOptions {
  /** Seconds of each measured run of a route. */
  duration: number;
  /** Measured runs per route (rows report their medians). */
  runs: number;
  /** Concurrent connections per route (unless the route says otherwise). */
  connections: number;
  /** Integrations created in the benchmark organization. */
  seedCount: number;
  /** Messages delivered end to end through the sandbox. */
  messageCount: number;
  /** Records of the larger full sync (the smaller one has a tenth). */
  syncCount: number;
  /** Integration log rows the retention scenario fills the table with. */
  logRows: number;
  /** The `--only` words, lower-cased; undefined when every scenario runs. */
  only: string[] | undefined;
}

/** Seconds of warm-up before each route is measured. */
export const WARMUP_S = 1;

export const USAGE = `Usage: npm run bench [-- --duration <s>] [--runs <n>] [--connections <n>] [--seed <n>] [--messages <n>] [--sync <n>] [--logs <n>] [--only <words>]

  --duration <s>      seconds of each measured run of a route, after a 1 s warm-up (default 3)
  --runs <n>          measured runs per route, taken in interleaved rounds; rows show medians (default 3)
  --connections <n>   concurrent connections (default 10)
  --seed <n>          integrations to create in the benchmark organization (default 2000)
  --messages <n>      messages to deliver end to end through the sandbox (default 1000)
  --sync <n>          records of the full QuickBooks sync benchmark: one sync of n/10, then one of n,
                      then the same n again with nothing changed (default 50000)
  --logs <n>          integration log rows the retention scenario fills the table with (default 1000000)
  --only <words>      run only the scenarios whose name contains one of these comma-separated words
                      (the bare routes always run): route names, "delivery", "sync", "retention"`;

/**
 * Parses the command line; prints the usage and exits on `--help` (0) or a bad number (2).
 */
export function parseOptions(): BenchOptions {
  const { values: flags } = parseArgs({
    options: {
      duration: { type: "string", default: "3" },
      runs: { type: "string", default: "3" },
      connections: { type: "string", default: "10" },
      seed: { type: "string", default: "2000" },
      messages: { type: "string", default: "1000" },
      sync: { type: "string", default: "50000" },
      logs: { type: "string", default: "1000000" },
      only: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (flags.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const duration = Number(flags.duration);
  const runs = Number(flags.runs);
  const logRows = Number(flags.logs);
  const connections = Number(flags.connections);
  const seedCount = Number(flags.seed);
  const messageCount = Number(flags.messages);
  const syncCount = Number(flags.sync);
  for (const [k, v] of Object.entries({
    duration,
    runs,
    connections,
    logs: logRows,
    seed: seedCount,
    messages: messageCount,
    sync: syncCount,
  })) {
    if (!Number.isInteger(v) || v < 1) {
      console.error(`--${k} must be a positive integer\n\n${USAGE}`);
      process.exit(2);
    }
  }
  const only = flags.only
    ?.split(",")
    .map((w) => w.trim().toLowerCase())
    .filter(Boolean);
  return { duration, runs, connections, seedCount, messageCount, syncCount, logRows, only };
}
