/**
 * Cron: re-enqueues messages that have waited far longer than any retry would (an enqueue that
 * failed after the message was stored, or a queue message lost with its consumer). Sending twice
 * is impossible: the consumer claims a message with a lease before sending it.
 */
import { and, eq, lt, or } from "drizzle-orm";
import { messages } from "../db/schema.ts";
import type { JobMessage } from "../queue/messages.ts";
import type { Services } from "../services/index.ts";

const STUCK_AFTER_MS = 15 * 60_000;
const BATCH = 100;

export async function requeueStuckMessages(services: Services, env: Env, now = Date.now()): Promise<number> {
  const before = new Date(now - STUCK_AFTER_MS).toISOString();
  const stuck = await services.db
    .select({ id: messages.id, orgId: messages.orgId })
    .from(messages)
    .where(
      and(
        lt(messages.updatedAt, before),
        or(eq(messages.status, "queued"), and(eq(messages.status, "sending"), lt(messages.leaseUntil, now))),
      ),
    )
    .limit(BATCH);
  if (stuck.length) {
    await env.JOBS.sendBatch(
      stuck.map((m) => ({
        body: { type: "message.send", orgId: m.orgId, messageId: m.id } satisfies JobMessage,
      })),
    );
  }
  return stuck.length;
}
