/**
 * Load-testing routes with autocannon: each route is probed once and warmed up, then measured in
 * `runs` rounds that take the routes in turn (round 1 of every route, then round 2, ...), so a
 * drift of the machine's load falls on every route alike. With `idle`, each run starts once the
 * hub has finished the background work earlier runs left it. A row reports the medians of its runs.
 */
import autocannon from "autocannon";
import { say } from "./log.ts";
import { type BenchOptions, WARMUP_S } from "./options.ts";
import type { BenchRoute } from "./routes.ts";

/** One run of one route. */
export interface Sample {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

/** One route's measurement: the medians of its runs (non-2xx and errors summed). */
export interface Row extends Sample {
  name: string;
  connections: number;
  /** Requests/s of each run, in order. */
  runs: number[];
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

type Opts = Pick<BenchOptions, "duration" | "connections" | "runs"> & {
  /** Waited for before each run (the hub idle again): none when absent. */
  idle?: () => Promise<unknown>;
};

function autocannonOptions(base: string, route: BenchRoute, connections: number) {
  return {
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
}

/** One request first, so a broken route is reported with its answer, not just counted. */
async function probe(opts: ReturnType<typeof autocannonOptions>, route: BenchRoute) {
  const first = route.perRequest?.({ headers: opts.headers }) ?? opts;
  const res = await fetch(opts.url, {
    method: opts.method,
    headers: first.headers as Record<string, string>,
    body: first.body?.toString(),
  });
  const text = await res.text();
  if (!res.ok)
    say(`\x1b[33mwarning: ${route.method} ${route.path} → HTTP ${res.status} ${text.slice(0, 300)}\x1b[0m`);
}

async function run(opts: ReturnType<typeof autocannonOptions>, duration: number): Promise<Sample> {
  const r = await autocannon({ ...opts, duration });
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  };
}

/** Measures `routes` in `runs` interleaved rounds; answers one row (medians) per route. */
export async function measureRounds(base: string, routes: BenchRoute[], options: Opts): Promise<Row[]> {
  const all = routes.map((route) => {
    const connections = (route.options?.connections as number | undefined) ?? options.connections;
    return { route, connections, opts: autocannonOptions(base, route, connections), samples: [] as Sample[] };
  });
  for (const [i, m] of all.entries()) {
    say(
      `[${i + 1}/${all.length}] ${m.route.name}: probe and ${WARMUP_S} s warm-up, ${m.connections} connection(s)`,
    );
    await probe(m.opts, m.route);
    await autocannon({ ...m.opts, duration: WARMUP_S });
  }
  for (let round = 1; round <= options.runs; round++) {
    say(`round ${round}/${options.runs}: ${all.length} route(s) × ${options.duration} s`);
    for (const m of all) {
      await options.idle?.();
      const s = await run(m.opts, options.duration);
      m.samples.push(s);
      say(
        `  ${m.route.name} (${m.connections}): ${s.rps.toFixed(0)} req/s, p50 ${s.p50} ms, p99 ${s.p99} ms`,
      );
    }
  }
  return all.map(({ route, connections, samples }) => ({
    name: route.name,
    connections,
    rps: median(samples.map((s) => s.rps)),
    p50: median(samples.map((s) => s.p50)),
    p99: median(samples.map((s) => s.p99)),
    non2xx: samples.reduce((n, s) => n + s.non2xx, 0),
    errors: samples.reduce((n, s) => n + s.errors, 0),
    runs: samples.map((s) => s.rps),
  }));
}

/** One route alone (its runs back to back). */
export async function measure(base: string, route: BenchRoute, options: Opts): Promise<Row> {
  const [row] = await measureRounds(base, [route], options);
  return row as Row;
}
