/** The Worker: HTTP through the Hono app, queue consumers, and scheduled jobs. */
import { createApp } from "./app.ts";
import { jobsFor } from "./cron/schedule.ts";
import { createLogger } from "./lib/log.ts";
import { consumeDeadLetters, consumeJobs } from "./queue/consumer.ts";
import { createServices } from "./services/index.ts";

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
    // Each schedule runs its own jobs (src/cron/schedule.ts); each is idempotent.
    for (const [name, job] of Object.entries(jobsFor(controller.cron))) {
      try {
        await job(services, env, Date.now(), log);
      } catch (e) {
        log.error(`cron ${name} failed`, { reason: e instanceof Error ? e.message : String(e) });
      }
    }
  },
} satisfies ExportedHandler<Env, unknown>;
