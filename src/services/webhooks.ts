/** Inbound provider webhooks: verified at the edge, stored once, processed on the queue. */
import type { Logger } from "../lib/log.ts";
import type { JobResult } from "../queue/consumer.ts";

export class Webhooks {
  async process(_orgId: string, _eventId: string, _log: Logger): Promise<JobResult> {
    return { action: "ack" };
  }
}
