/**
 * Cron: re-enqueues provider webhooks stored but never processed (the queue send after the
 * response failed) or left leased by a consumer that died. Processing twice is impossible: the
 * consumer claims an event with a lease first, and every effect is idempotent.
 */
import type { Services } from "../services/index.ts";

export const requeueStuckWebhooks = (services: Services): Promise<number> => services.webhooks.requeueStuck();
