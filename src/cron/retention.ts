/**
 * Cron: prunes the history older than `RETENTION_DAYS` (src/services/retention.ts), a bounded
 * amount a run, and logs how many rows of each table went.
 */
import type { Settings } from "../config.ts";
import type { Db } from "../db/client.ts";
import type { Logger } from "../lib/log.ts";
import { pruneExpired, type RetentionOptions, type RetentionRun } from "../services/retention.ts";

/** One run over `db`; `limits` lets a test make the batches small. */
export async function pruneHistory(
  db: Db,
  settings: Pick<Settings, "RETENTION_DAYS">,
  now: number,
  log: Logger,
  limits: Omit<RetentionOptions, "days" | "now"> = {},
): Promise<RetentionRun> {
  const run = await pruneExpired(db, { days: settings.RETENTION_DAYS, now, ...limits });
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
