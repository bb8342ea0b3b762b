/**
 * Which jobs each cron schedule runs (wrangler.toml [triggers]). Every minute: whatever re-drives
 * stuck work, so a message whose queue message was lost or whose consumer died is sent within
 * two minutes. Every five minutes: the slower housekeeping. Each job is idempotent when a run
 * repeats or is skipped; a schedule this table does not know runs every job.
 */
import type { Logger } from "../lib/log.ts";
import type { Services } from "../services/index.ts";
import { requeueStuckMessages } from "./requeue-messages.ts";
import { requeueStuckWebhooks } from "./requeue-webhooks.ts";
import { rewrapKeys } from "./rewrap-keys.ts";

export type CronJob = (services: Services, env: Env, now: number, log: Logger) => Promise<unknown>;

export const EVERY_MINUTE = "* * * * *";
export const EVERY_FIVE_MINUTES = "*/5 * * * *";

const REDRIVE: Record<string, CronJob> = {
  "requeue-messages": (s, env, now) => requeueStuckMessages(s, env, now),
  "requeue-webhooks": (s) => requeueStuckWebhooks(s),
  "requeue-event-deliveries": (s) => s.events.requeueStuck(),
  "requeue-syncs": (s, _env, now) => s.sync.requeueStuck(now),
};

const HOUSEKEEPING: Record<string, CronJob> = {
  "rewrap-keys": (s, env) => rewrapKeys(s, env),
  "refresh-tokens": (s) => s.tokens.refreshDue(),
  "sync-schedules": (s, _env, now, log) => s.sync.runSchedules(now, log),
};

const SCHEDULES: Record<string, Record<string, CronJob>> = {
  [EVERY_MINUTE]: REDRIVE,
  [EVERY_FIVE_MINUTES]: HOUSEKEEPING,
};

/** The jobs a cron schedule runs, by name. */
export function jobsFor(cron: string): Record<string, CronJob> {
  return SCHEDULES[cron] ?? { ...REDRIVE, ...HOUSEKEEPING };
}
