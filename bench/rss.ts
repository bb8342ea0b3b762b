/**
 * Memory sampling: the workerd processes under a wrangler, found through /proc, and their summed
 * VmRSS and RssAnon (the part that is the processes' own heap, not mapped files).
 */
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

/** Summed VmRSS and RssAnon of `pids`, in bytes (processes that are gone count 0). */
function memoryOf(pids: number[]): Memory {
  const total = { rss: 0, anon: 0 };
  for (const pid of pids) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const kb = (name: string) =>
        Number(status.match(new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, "m"))?.[1] ?? 0);
      total.rss += kb("VmRSS") * 1024;
      total.anon += kb("RssAnon") * 1024;
    } catch {
      // gone
    }
  }
  return total;
}

/** Resident memory in bytes: all of it, and the anonymous part (heap, not file-backed pages). */
export interface Memory {
  rss: number;
  anon: number;
}

/** Summed memory of the workerd processes under the worker's wrangler. */
export function workerdMemory(worker: LocalWorker): Memory {
  const pid = worker.child?.pid;
  if (!pid) throw new Error("wrangler is not running");
  const pids = workerdPids(pid);
  if (!pids.length) throw new Error(`no workerd process found under wrangler (pid ${pid})`);
  return memoryOf(pids);
}

/** Summed RSS of the workerd processes under the worker's wrangler, in bytes. */
export function workerdRss(worker: LocalWorker): number {
  return workerdMemory(worker).rss;
}
