/**
 * A message's timeline (GET /api/messages/{id}): each step is written in the same batch as the
 * change it describes, so the timeline never says more or less than the message went through.
 */
import { and, asc, eq } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { type MessageEventRow, type MessageRow, messageEvents } from "../../db/schema.ts";
import { prefixedId } from "../../lib/ids.ts";
import { redactTokens } from "../../lib/redact.ts";

export type TimelineStep = "scheduled" | "queued" | "retry" | "sent" | "receipt" | "failed" | "cancelled";

/** The statement that adds one step to a message's timeline. */
export function timelineStatement(
  db: Db,
  m: Pick<MessageRow, "id" | "orgId">,
  step: TimelineStep,
  status: string,
  more: { id?: string; detail?: string | null; error?: string | null; at?: string } = {},
) {
  return db.insert(messageEvents).values({
    id: more.id ?? prefixedId("mev"),
    orgId: m.orgId,
    messageId: m.id,
    step,
    status,
    detail: more.detail ?? null,
    error: more.error ? redactTokens(more.error) : null,
    ...(more.at ? { at: more.at } : {}),
  });
}

/** The message's steps, oldest first. */
export function timelineOf(db: Db, orgId: string, messageId: string): Promise<MessageEventRow[]> {
  return db
    .select()
    .from(messageEvents)
    .where(and(eq(messageEvents.orgId, orgId), eq(messageEvents.messageId, messageId)))
    .orderBy(asc(messageEvents.at), asc(messageEvents.id));
}

export const timelineView = (e: MessageEventRow) => ({
  step: e.step as TimelineStep,
  status: e.status,
  detail: e.detail,
  error: e.error,
  at: e.at,
});
