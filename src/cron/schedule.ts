/**
 * Which jobs each cron schedule runs (wrangler.toml [triggers]). Every minute: the job engine's
 * re-drive of each kind (rows whose lease ran out, or whose queue message was lost), so stuck
 * work is driven again within two minutes. Every five minutes: the slower housekeeping, retention
 * included (a bounded amount a run, so a backlog drains over several). Each job is idempotent
 * when a run repeats or is skipped; a schedule this table does not know runs every job.
 */
import type { Logger } from "../lib/log.ts";
import type { Services } from "../services/index.ts";
import { pruneHistory } from "./retention.ts";
import { rewrapKeys } from "./rewrap-keys.ts";

export type CronJob = (services: Services, env: Env, now: number, log: Logger) => Promise<unknown>;

export const EVERY_MINUTE = "* * * * *";
export const EVERY_FIVE_MINUTES = "*/5 * * * *";

const REDRIVE: Record<string, CronJob> = {
  "requeue-messages": (s, _env, now) => s.messages.redrive(now),
  "requeue-webhooks": (s, _env, now) => s.webhooks.redrive(now),
  "requeue-event-deliveries": (s, _env, now) => s.events.redrive(now),
  "requeue-syncs": (s, _env, now) => s.sync.redrive(now),
};

const HOUSEKEEPING: Record<string, CronJob> = {
  "rewrap-keys": (s, env) => rewrapKeys(s, env),
  "refresh-tokens": (s) => s.tokens.refreshDue(),
  "sync-schedules": (s, _env, now, log) => s.sync.runSchedules(now, log),
  "renew-calendar-watches": (s, _env, now, log) => s.calendar.renewDue(now, log),
  // The main database first (it holds the dead letters), then every shard.
  "prune-expired": (s, _env, now, log) =>
    pruneHistory([s.db, ...s.shards.all().filter((d) => d !== s.db)], s.settings, now, log),
};

const SCHEDULES: Record<string, Record<string, CronJob>> = {
  [EVERY_MINUTE]: REDRIVE,
  [EVERY_FIVE_MINUTES]: HOUSEKEEPING,
};

/** The jobs a cron schedule runs, by name. */
export function jobsFor(cron: string): Record<string, CronJob> {
  return SCHEDULES[cron] ?? { ...REDRIVE, ...HOUSEKEEPING };
}
