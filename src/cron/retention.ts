/**
 * Cron: prunes the history older than `RETENTION_DAYS` (src/services/retention.ts), a bounded
 * amount a run, and logs how many rows of each table went.
 */
import type { Settings } from "../config.ts";
import type { Db } from "../db/client.ts";
import type { Logger } from "../lib/log.ts";
import { pruneExpired, type RetentionOptions, type RetentionRun } from "../services/retention.ts";

/** One run over each database in `dbs` (the first is the main one); `limits` lets a test make the batches small. */
export async function pruneHistory(
  dbs: Db | Db[],
  settings: Pick<Settings, "RETENTION_DAYS">,
  now: number,
  log: Logger,
  limits: Omit<RetentionOptions, "days" | "now"> = {},
): Promise<RetentionRun> {
  const [main, ...shards] = Array.isArray(dbs) ? dbs : [dbs];
  let run: RetentionRun | undefined;
  for (const db of [main, ...shards]) {
    if (!db) continue;
    const one = await pruneExpired(db, {
      days: settings.RETENTION_DAYS,
      now,
      ...limits,
      keepFailed: db !== main,
    });
    run = run ? merge(run, one) : one;
  }
  return report(run as RetentionRun, settings, log);
}

function merge(a: RetentionRun, b: RetentionRun): RetentionRun {
  const pruned = { ...a.pruned };
  for (const [t, n] of Object.entries(b.pruned)) pruned[t as keyof typeof pruned] += n;
  return { cutoff: a.cutoff, pruned, unfinished: [...new Set([...a.unfinished, ...b.unfinished])] };
}

function report(run: RetentionRun, settings: Pick<Settings, "RETENTION_DAYS">, log: Logger): RetentionRun {
  const total = Object.values(run.pruned).reduce((a, b) => a + b, 0);
  if (total > 0 || run.unfinished.length)
    log.info("retention pruned expired rows", {
      retention_days: settings.RETENTION_DAYS,
      cutoff: run.cutoff,
      total,
      ...run.pruned,
      // Tables with more to prune than one run takes: the next runs continue.
      unfinished: run.unfinished,
    });
  return run;
}
