/**
 * The Worker's handlers around one Hono app: HTTP through the app, the queue consumers, and the
 * scheduled jobs. The production entry (src/index.ts) and the development entry (src/dev.ts)
 * build theirs from here and differ only in the app.
 */
import type { createApp } from "./app.ts";
import { jobsFor } from "./cron/schedule.ts";
import { createLogger } from "./lib/log.ts";
import { consumeDeadLetters, consumeJobs } from "./queue/consumer.ts";
import { createServices } from "./services/index.ts";

/** The handlers `export default` of an entry: `fetch` is the app's. */
export function createWorker(app: ReturnType<typeof createApp>) {
  return {
    fetch: app.fetch,

    async queue(batch, env, _ctx) {
      // The dead-letter queue is the one wrangler.toml names (DEAD_LETTER_QUEUE, per environment).
      if (batch.queue === env.DEAD_LETTER_QUEUE) return consumeDeadLetters(batch, env);
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
}
