/**
 * Suppression lists (/api/suppressions): recipients no message goes to on a channel. Added by
 * hand, or by the hub itself on a provider's hard bounce or complaint and on an inbound
 * STOP/UNSUBSCRIBE; a send to a suppressed recipient is refused with 422 before anything is
 * stored or sent.
 */
import { and, desc, eq, lt } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { type SuppressionRow, suppressions } from "../../db/schema.ts";
import { ApiError, ErrorCode, notFound } from "../../errors.ts";
import { prefixedId } from "../../lib/ids.ts";
import { decodeCursor, pageOf } from "../../lib/pagination.ts";
import { type Channel, recipientKey } from "../../providers/channels.ts";

export type SuppressionReason = "manual" | "hard_bounce" | "complaint" | "unsubscribe";

/** Inbound texts that ask for no more messages (CTIA's standard opt-out words), letter case aside. */
const OPT_OUT_RE = /^\s*(stop|stopall|unsubscribe|cancel|end|quit|optout|opt out|opt-out)\s*[.!]*\s*$/i;

/** Whether an inbound message's text asks for no more messages. */
export const isOptOut = (text: string | undefined) => text !== undefined && OPT_OUT_RE.test(text);

export class Suppressions {
  constructor(private readonly db: Db) {}

  /** Adds (or keeps) a suppression; answers it and whether it is new. */
  async add(
    orgId: string,
    input: { channel: Channel; address: string; reason: SuppressionReason; source?: string; note?: string },
  ): Promise<{ row: SuppressionRow; created: boolean }> {
    const address = recipientKey(input.channel, input.address);
    const inserted = await this.db
      .insert(suppressions)
      .values({
        id: prefixedId("sup"),
        orgId,
        channel: input.channel,
        address,
        reason: input.reason,
        source: input.source ?? null,
        note: input.note ?? null,
      })
      .onConflictDoNothing()
      .returning();
    if (inserted[0]) return { row: inserted[0], created: true };
    const existing = await this.find(orgId, input.channel, address);
    if (!existing) throw new ApiError(ErrorCode.CONFLICT, "The suppression changed meanwhile; try again");
    return { row: existing, created: false };
  }

  private async find(orgId: string, channel: string, address: string) {
    const [row] = await this.db
      .select()
      .from(suppressions)
      .where(
        and(
          eq(suppressions.orgId, orgId),
          eq(suppressions.channel, channel),
          eq(suppressions.address, address),
        ),
      )
      .limit(1);
    return row;
  }

  /** Refuses a send to a suppressed recipient: 422 naming why. */
  async check(orgId: string, channel: Channel, to: string): Promise<void> {
    const row = await this.find(orgId, channel, recipientKey(channel, to));
    if (row)
      throw new ApiError(
        ErrorCode.RECIPIENT_SUPPRESSED,
        `to: ${row.address} is on the ${channel} suppression list (${row.reason}, since ${row.createdAt}); DELETE /api/suppressions/${row.id} to send to it again`,
        { issues: [{ path: "to", message: `suppressed (${row.reason})` }] },
      );
  }

  async get(orgId: string, id: string): Promise<SuppressionRow> {
    const [row] = await this.db
      .select()
      .from(suppressions)
      .where(and(eq(suppressions.orgId, orgId), eq(suppressions.id, id)))
      .limit(1);
    if (!row) throw notFound("Suppression");
    return row;
  }

  async list(orgId: string, f: { channel?: string; address?: string; cursor?: string; limit: number }) {
    const after = decodeCursor(f.cursor);
    const rows = await this.db
      .select()
      .from(suppressions)
      .where(
        and(
          eq(suppressions.orgId, orgId),
          f.channel ? eq(suppressions.channel, f.channel) : undefined,
          f.address && f.channel
            ? eq(suppressions.address, recipientKey(f.channel as Channel, f.address))
            : undefined,
          after ? lt(suppressions.id, after) : undefined,
        ),
      )
      .orderBy(desc(suppressions.id))
      .limit(f.limit + 1);
    return pageOf(rows, f.limit);
  }

  async delete(orgId: string, id: string): Promise<void> {
    const gone = await this.db
      .delete(suppressions)
      .where(and(eq(suppressions.orgId, orgId), eq(suppressions.id, id)))
      .returning({ id: suppressions.id });
    if (!gone.length) throw notFound("Suppression");
  }
}

export const suppressionView = (s: SuppressionRow) => ({
  id: s.id,
  channel: s.channel,
  address: s.address,
  reason: s.reason as SuppressionReason,
  source: s.source,
  note: s.note,
  created_at: s.createdAt,
});
