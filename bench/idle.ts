/**
 * Waiting for the hub to be idle: the routes that accept work (a message to send, a webhook to
 * process) leave the queue consumer busy after their run, on the same cores. Each measurement
 * starts once workerd's CPU time stays below IDLE_SHARE of one core for IDLE_WINDOW_MS, so one
 * route's background work does not land on the next route's figures.
 */
import { readFileSync } from "node:fs";
import { workerdPids } from "./rss.ts";
import type { LocalWorker } from "./worker.ts";

const IDLE_SHARE = 0.05;
const IDLE_WINDOW_MS = 500;
const MAX_WAIT_MS = 120_000;
/** Clock ticks a second (USER_HZ; 100 on Linux). */
const HZ = 100;

function cpuTicks(pids: number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // utime and stime: fields 14 and 15 of stat, 12 and 13 after "pid (comm)".
      total += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return total;
}

/** Resolves once the worker's workerd processes are idle; answers the seconds waited. */
export async function untilIdle(worker: LocalWorker): Promise<number> {
  const pid = worker.child?.pid;
  if (!pid) return 0;
  const pids = workerdPids(pid);
  const started = Date.now();
  for (;;) {
    const before = cpuTicks(pids);
    await new Promise((r) => setTimeout(r, IDLE_WINDOW_MS));
    const used = (cpuTicks(pids) - before) / HZ;
    if (used < (IDLE_WINDOW_MS / 1000) * IDLE_SHARE || Date.now() - started > MAX_WAIT_MS)
      return (Date.now() - started) / 1000;
  }
}
