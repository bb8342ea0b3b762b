/** Load-testing one route with autocannon: a probe request, a warm-up, then the measured run. */
import autocannon from "autocannon";
import { say } from "./log.ts";
import { type BenchOptions, WARMUP_S } from "./options.ts";
import type { BenchRoute } from "./routes.ts";

/** One route's measurement. */
export interface Row {
  name: string;
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

/**
 * Probes `route` once (a broken route is reported with its answer), warms it up for `WARMUP_S`,
 * then measures it for `duration` seconds with autocannon.
 */
export async function measure(
  base: string,
  route: BenchRoute,
  { duration, connections }: Pick<BenchOptions, "duration" | "connections">,
): Promise<Row> {
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
