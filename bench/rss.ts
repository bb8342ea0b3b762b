/** RSS sampling: the workerd processes under wrangler, found through /proc, and their summed VmRSS. */
import { readdirSync, readFileSync } from "node:fs";
import type { LocalWorker } from "./worker.ts";

/** The pids of the processes under `root` (any depth) whose command line mentions workerd. */
export function workerdPids(root: number): number[] {
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

/** Summed RSS of the workerd processes under the worker's wrangler, in bytes. */
export function workerdRss(worker: LocalWorker): number {
  const pid = worker.child?.pid;
  if (!pid) throw new Error("wrangler is not running");
  const pids = workerdPids(pid);
  if (!pids.length) throw new Error(`no workerd process found under wrangler (pid ${pid})`);
  return rssOf(pids);
}
