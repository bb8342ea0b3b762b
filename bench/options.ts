/**
 * The benchmark's command line: `--duration`, `--connections`, `--seed`, `--messages`, `--sync`
 * and `--only`, parsed and checked once; `--help` prints the usage.
 */
import { parseArgs } from "node:util";

/** What one benchmark run measures, and how hard. */
export interface BenchOptions {
  /** Seconds per route, after the warm-up. */
  duration: number;
  /** Concurrent connections per route (unless the route says otherwise). */
  connections: number;
  /** Integrations created in the benchmark organization. */
  seedCount: number;
  /** Messages delivered end to end through the sandbox. */
  messageCount: number;
  /** Records of the larger full sync (the smaller one has a tenth). */
  syncCount: number;
  /** The `--only` words, lower-cased; undefined when every scenario runs. */
  only: string[] | undefined;
}

/** Seconds of warm-up before each route is measured. */
export const WARMUP_S = 2;

export const USAGE = `Usage: npm run bench [-- --duration <s>] [--connections <n>] [--seed <n>] [--messages <n>] [--sync <n>]

  --duration <s>      seconds per route, after a 2 s warm-up (default 10)
  --connections <n>   concurrent connections (default 10)
  --seed <n>          integrations to create in the benchmark organization (default 10000)
  --messages <n>      messages to deliver end to end through the sandbox (default 10000)
  --sync <n>          records of the full QuickBooks sync benchmark: one sync of n/10, then one of n
                      (default 50000)
  --only <words>      measure only the routes whose name contains one of these comma-separated
                      words (the bare routes always run); skips the end-to-end delivery, and the
                      sync benchmark unless one word is "sync" (\`--only sync\`: bare routes + sync)`;

/**
 * Parses the command line; prints the usage and exits on `--help` (0) or a bad number (2).
 */
export function parseOptions(): BenchOptions {
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
  const only = flags.only
    ?.split(",")
    .map((w) => w.trim().toLowerCase())
    .filter(Boolean);
  return { duration, connections, seedCount, messageCount, syncCount, only };
}
