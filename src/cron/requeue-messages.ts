/**
 * Cron (every minute): re-enqueues messages nobody is working on: a queued message whose queue
 * message was lost (an enqueue that failed after the message was stored, a queue message lost
 * with its consumer), or a sending message whose consumer died and whose lease ran out. With
 * the lease (50 s at the default provider timeout) and the grace below, a stuck message is
 * driven again within two minutes. Sending twice is impossible: the consumer claims a message
 * with a compare-and-set lease before sending, and only the lease's holder may finish it.
 */
import { and, asc, eq, isNull, lt, or } from "drizzle-orm";
import { messages } from "../db/schema.ts";
import type { JobMessage } from "../queue/messages.ts";
import type { Services } from "../services/index.ts";

/** How long a queued message may wait for its queue delivery (normally about a second). */
export const QUEUED_GRACE_MS = 50_000;
const BATCH = 100;

/** Re-enqueues up to 100 stuck messages, oldest first; answers how many. */
export async function requeueStuckMessages(services: Services, env: Env, now = Date.now()): Promise<number> {
  const before = new Date(now - QUEUED_GRACE_MS).toISOString();
  const stuck = await services.db
    .select({ id: messages.id, orgId: messages.orgId })
    .from(messages)
    .where(
      or(
        // Waiting for its first delivery, or for a retry that is due, for longer than the grace.
        and(
          eq(messages.status, "queued"),
          or(
            and(isNull(messages.nextAttemptAt), lt(messages.updatedAt, before)),
            lt(messages.nextAttemptAt, before),
          ),
        ),
        and(eq(messages.status, "sending"), lt(messages.leaseUntil, now)),
      ),
    )
    .orderBy(asc(messages.updatedAt))
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
