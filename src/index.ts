/** The Worker: HTTP through the Hono app, queue consumers, and scheduled jobs. */
import { createApp } from "./app.ts";
import { requeueStuckMessages } from "./cron/requeue-messages.ts";
import { requeueStuckWebhooks } from "./cron/requeue-webhooks.ts";
import { rewrapKeys } from "./cron/rewrap-keys.ts";
import { createLogger } from "./lib/log.ts";
import { consumeDeadLetters, consumeJobs } from "./queue/consumer.ts";
import { createServices, type Services } from "./services/index.ts";

const app = createApp();

export default {
  fetch: app.fetch,

  async queue(batch, env, _ctx) {
    if (batch.queue.endsWith("-dlq")) return consumeDeadLetters(batch);
    return consumeJobs(batch, env);
  },

  async scheduled(controller, env) {
    const log = createLogger({ cron: controller.cron });
    const services = createServices(env, `cron_${controller.scheduledTime}`);
    // One schedule runs every job; each job is idempotent when a run repeats or is skipped.
    const jobs = {
      "rewrap-keys": rewrapKeys,
      "requeue-messages": requeueStuckMessages,
      "requeue-webhooks": requeueStuckWebhooks,
      "requeue-event-deliveries": (s: Services) => s.events.requeueStuck(),
      "refresh-tokens": (s: Services) => s.tokens.refreshDue(),
      "sync-schedules": (s: Services) => s.sync.runSchedules(Date.now(), log),
      "requeue-syncs": (s: Services) => s.sync.requeueStuck(),
    };
    for (const [name, job] of Object.entries(jobs)) {
      try {
        await job(services, env);
      } catch (e) {
        log.error(`cron ${name} failed`, { reason: e instanceof Error ? e.message : String(e) });
      }
    }
  },
} satisfies ExportedHandler<Env, unknown>;
