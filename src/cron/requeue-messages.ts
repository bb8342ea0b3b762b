/**
 * Cron (every minute): re-enqueues messages nobody is working on, through the job engine's
 * re-drive: a queued message whose queue message was lost (an enqueue that failed after the
 * message was stored, a queue message lost with its consumer), or a sending message whose
 * consumer died and whose lease ran out. With the lease (50 s at the default provider timeout)
 * and the grace, a stuck message is driven again within two minutes. Sending twice is
 * impossible: the engine claims a message with a compare-and-set lease before sending, and only
 * the lease's holder may finish it.
 */
import { JobEngine } from "../jobs/engine.ts";
import type { Services } from "../services/index.ts";

export { QUEUED_GRACE_MS } from "../services/messages.ts";

/** Re-enqueues up to 100 stuck messages on `env.JOBS`; answers how many. */
export function requeueStuckMessages(services: Services, env: Env, now = Date.now()): Promise<number> {
  return new JobEngine(services.db, env.JOBS).redrive(services.messages.sendJob, now);
}
