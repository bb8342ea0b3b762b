/**
 * Outbound messages: accepted by the API (202, queued), sent by the queue consumer through the
 * integration's provider, retried with backoff on retryable failures, failed at once on
 * permanent ones, idempotent under a client's Idempotency-Key, and never sent twice for one
 * message even when the queue delivers it twice (a lease in D1 with compare-and-set).
 */

import { and, desc, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import { sha256Hex } from "../crypto/hash.ts";
import { batchAcross } from "../db/batch.ts";
import type { Db } from "../db/client.ts";
import { type IntegrationRow, integrations, type MessageRow, messages } from "../db/schema.ts";
import { ApiError, ErrorCode, notFound } from "../errors.ts";
import { MAX_QUEUE_DELAY_SECONDS, type RetryPolicy } from "../jobs/backoff.ts";
import { JobEngine, retryTime } from "../jobs/engine.ts";
import type { Claimed, JobKind, Outcome, RunResult } from "../jobs/kind.ts";
import { prefixedId } from "../lib/ids.ts";
import type { Logger } from "../lib/log.ts";
import { decodeCursor, pageOf } from "../lib/pagination.ts";
import { channelIssues } from "../providers/channels.ts";
import { PROVIDER_IDS, PROVIDERS } from "../providers/registry.ts";
import { type OutboundMessage, ProviderError } from "../providers/runtime.ts";
import type { Channel } from "../providers/types.ts";
import type { Activity } from "./activity.ts";
import type { Connections } from "./connections.ts";
import { type Integrations, providerOf } from "./integrations.ts";
import { type GroupBy, MessageAnalytics } from "./messages/analytics.ts";
import { Suppressions } from "./messages/suppressions.ts";
import { render, Templates, type VariableValue } from "./messages/templates.ts";
import { timelineOf, timelineStatement } from "./messages/timeline.ts";

/** Attempts before a retryable failure becomes `failed` and goes to the dead letter queue. */
export const MAX_SEND_ATTEMPTS = 5;
/**
 * How long one consumer owns a message it is sending: longer than a send can take (a wait for
 * another caller's token refresh, a refresh and the send, each bounded by the provider
 * timeout), short enough that the minutely cron re-drives a message whose consumer died within
 * two minutes at the default timeout (10 s: a 50 s lease).
 */
export function messageLeaseMs(settings: { PROVIDER_TIMEOUT_MS: number } = { PROVIDER_TIMEOUT_MS: 10_000 }) {
  return 2 * settings.PROVIDER_TIMEOUT_MS + 30_000;
}

export interface MessageInput {
  integrationId?: string;
  channel?: Channel;
  to: string;
  subject?: string;
  text?: string;
  html?: string;
  template?: { name: string; language: string; params: string[] };
  /** A stored template (/api/templates) to render, with its variables. */
  templateId?: string;
  templateVersion?: number;
  variables?: Record<string, VariableValue>;
  /** Send at this time (ISO 8601, up to 30 days ahead) instead of now. */
  sendAt?: string;
}

/** How far ahead a message may be scheduled. */
export const MAX_SCHEDULE_DAYS = 30;

/** A `send_at` in ms, or undefined for now (a time already past, or within a second, is now). */
function scheduledTime(sendAt: string | undefined): number | undefined {
  if (!sendAt) return undefined;
  const at = Date.parse(sendAt);
  const now = Date.now();
  if (!Number.isFinite(at)) throw invalid("send_at", "must be an ISO 8601 time");
  if (at > now + MAX_SCHEDULE_DAYS * 86_400_000)
    throw invalid("send_at", `must be at most ${MAX_SCHEDULE_DAYS} days ahead`);
  return at > now + 1_000 ? at : undefined;
}

/** The queue delay that brings a scheduled message's delivery at its time (or as near as the queue allows). */
const queueDelay = (at: number) =>
  Math.min(MAX_QUEUE_DELAY_SECONDS, Math.max(0, Math.ceil((at - Date.now()) / 1000)));

/** Sends retry after 5 s, 10 s, 20 s, ... (±20 %), capped at 5 minutes. */
const SEND_POLICY: RetryPolicy = { maxAttempts: MAX_SEND_ATTEMPTS, baseSeconds: 5, capSeconds: 300 };

/** How long a queued message may wait for its queue delivery (normally about a second). */
export const QUEUED_GRACE_MS = 50_000;

export function messageView(m: MessageRow) {
  return {
    id: m.id,
    integration_id: m.integrationId,
    provider: m.provider,
    channel: m.channel,
    to: m.to,
    ...(m.content as Record<string, unknown>),
    direction: m.direction,
    status: m.status,
    sandbox: m.sandbox,
    attempts: m.attempts,
    provider_message_id: m.providerMessageId,
    last_error: m.lastError,
    created_at: m.createdAt,
    updated_at: m.updatedAt,
    sent_at: m.sentAt,
    delivered_at: m.deliveredAt,
    next_attempt_at: m.nextAttemptAt,
  };
}

export { CHANNELS, channelIssues } from "../providers/channels.ts";
export { suppressionView } from "./messages/suppressions.ts";
export { templateVersionView, templateView } from "./messages/templates.ts";
export { timelineView } from "./messages/timeline.ts";

const invalid = (path: string, message: string) =>
  new ApiError(ErrorCode.INVALID_FIELD, `${path}: ${message}`, { issues: [{ path, message }] });

const canSend = (row: IntegrationRow, channel?: Channel) => {
  const send = providerOf(row).capabilities.send;
  return channel ? send.includes(channel) : send.length > 0;
};

export class Messages {
  constructor(
    private readonly db: Db,
    private readonly activity: Activity,
    private readonly integrations: Integrations,
    private readonly connections: Connections,
    private readonly jobs: Queue,
    private readonly leaseMs = messageLeaseMs(),
    readonly templates = new Templates(db),
    readonly suppressions = new Suppressions(db),
    readonly analytics = new MessageAnalytics(db),
  ) {
    this.engine = new JobEngine(db, jobs);
  }

  private readonly engine: JobEngine;

  /** The integration a message goes through: the named one, or the channel's default. */
  private async route(
    orgId: string,
    input: MessageInput,
  ): Promise<{ row: IntegrationRow; channel: Channel }> {
    if (input.integrationId) {
      // Routing may use the isolate's copy: the send re-reads the integration before it calls out.
      const row = await this.integrations.getCached(orgId, input.integrationId);
      const send = providerOf(row).capabilities.send;
      if (!send.length)
        throw invalid("integration_id", `${providerOf(row).displayName} cannot send messages`);
      const channel = input.channel ?? (send[0] as Channel);
      if (!send.includes(channel))
        throw invalid("channel", `${providerOf(row).displayName} sends ${send.join(", ")}`);
      if (!row.isActive) throw invalid("integration_id", "the integration is not active");
      return { row, channel };
    }
    if (!input.channel) throw invalid("channel", "channel or integration_id is required");
    const senders = PROVIDER_IDS.filter((id) =>
      PROVIDERS[id].capabilities.send.includes(input.channel as Channel),
    );
    const rows = await this.db
      .select()
      .from(integrations)
      .where(
        and(
          eq(integrations.orgId, orgId),
          eq(integrations.isActive, true),
          inArray(integrations.provider, senders),
          isNull(integrations.disconnectedAt),
        ),
      )
      .orderBy(desc(integrations.id))
      .limit(50);
    const candidates = rows.filter((r) => canSend(r, input.channel));
    const row = candidates.find((r) => r.config.default === true) ?? candidates[0];
    if (!row) throw invalid("channel", `no active integration sends ${input.channel}`);
    return { row, channel: input.channel };
  }

  /** Accepts a message: stores it `queued` and enqueues it. Replays an idempotent request. */
  async submit(orgId: string, input: MessageInput, idempotencyKey: string | undefined) {
    const requestHash = idempotencyKey ? await sha256Hex(JSON.stringify(input)) : null;
    if (idempotencyKey) {
      const replay = await this.replay(orgId, idempotencyKey, requestHash as string);
      if (replay) return { message: replay, replayed: true };
    }
    const { input: filled, used } = await this.fromTemplate(orgId, input);
    // The recipient's suppression is read while the integration is chosen.
    const [{ row, channel }] = await Promise.all([
      this.route(orgId, filled),
      filled.channel ? this.suppressions.check(orgId, filled.channel, input.to) : undefined,
    ]);
    const issues = channelIssues(channel, filled);
    const first = issues[0];
    if (first) throw new ApiError(ErrorCode.INVALID_FIELD, `${first.path}: ${first.message}`, { issues });
    if (!filled.channel) await this.suppressions.check(orgId, channel, input.to);
    const sendAt = scheduledTime(input.sendAt);
    const content: Record<string, unknown> = {};
    for (const k of ["subject", "text", "html", "template"] as const)
      if (filled[k] !== undefined) content[k] = filled[k];
    if (used) Object.assign(content, { template_id: used.id, template_version: used.version });
    const id = prefixedId("msg");
    let stored: MessageRow | undefined;
    try {
      // One round trip: the message (returned as stored) and its log line.
      const [rows] = (await batchAcross(this.db, [
        this.db
          .insert(messages)
          .values({
            id,
            orgId,
            integrationId: row.id,
            provider: row.provider,
            channel,
            to: input.to,
            content,
            status: sendAt ? "scheduled" : "queued",
            sandbox: row.config.sandbox_mode === true,
            idempotencyKey: idempotencyKey ?? null,
            requestHash,
            nextAttemptAt: sendAt ? new Date(sendAt).toISOString() : null,
          })
          .returning(),
        this.activity.logStatement({
          orgId,
          integrationId: row.id,
          action: sendAt ? "message.scheduled" : "message.queued",
          message: sendAt
            ? `Message ${id} (${channel}) scheduled for ${new Date(sendAt).toISOString()}`
            : `Message ${id} (${channel}) queued`,
        }),
        sendAt
          ? timelineStatement(this.db, { id, orgId }, "scheduled", "scheduled", {
              detail: new Date(sendAt).toISOString(),
            })
          : timelineStatement(this.db, { id, orgId }, "queued", "queued"),
      ])) as [MessageRow[] | undefined];
      stored = rows?.[0];
    } catch (e) {
      // A request with the same key stored meanwhile (read from D1, not the error's text).
      if (idempotencyKey) {
        const replay = await this.replay(orgId, idempotencyKey, requestHash as string);
        if (replay) return { message: replay, replayed: true };
      }
      throw e;
    }
    // A scheduled send's queue message arrives at its time, or (past the queue's longest
    // delay) early, to be put off again by the job engine until it is due.
    const delaySeconds = sendAt ? queueDelay(sendAt) : 0;
    await this.jobs.send(
      { type: "message.send", orgId, messageId: id },
      delaySeconds ? { delaySeconds } : undefined,
    );
    return { message: stored ?? (await this.get(orgId, id)), replayed: false };
  }

  /** The input with a stored template's content filled in, and the version it used. */
  private async fromTemplate(orgId: string, input: MessageInput) {
    if (!input.templateId) return { input, used: undefined };
    for (const k of ["subject", "text", "html", "template"] as const)
      if (input[k] !== undefined) throw invalid(k, "give template_id or the content, not both");
    const t = await this.templates.version(orgId, input.templateId, input.templateVersion).catch((e) => {
      throw e instanceof ApiError && e.code === ErrorCode.NOT_FOUND ? invalid("template_id", e.message) : e;
    });
    if (input.channel && input.channel !== t.channel)
      throw invalid("channel", `template "${t.name}" is for ${t.channel}, not ${input.channel}`);
    return {
      input: { ...input, channel: t.channel as Channel, ...render(t, input.variables ?? {}) },
      used: t,
    };
  }

  /**
   * Cancels a message that has not been sent: a scheduled or queued one becomes `cancelled`
   * (compare-and-set, so a send that claimed it first wins and this is a 409).
   */
  async cancel(orgId: string, id: string): Promise<MessageRow> {
    const now = new Date().toISOString();
    const waiting = and(
      eq(messages.orgId, orgId),
      eq(messages.id, id),
      inArray(messages.status, ["scheduled", "queued"]),
      or(isNull(messages.leaseUntil), lt(messages.leaseUntil, Date.now())),
    );
    const [row] = await this.db
      .update(messages)
      .set({ status: "cancelled", nextAttemptAt: null, updatedAt: now })
      .where(waiting)
      .returning();
    if (row) {
      await timelineStatement(this.db, row, "cancelled", "cancelled", { at: now });
      return row;
    }
    const current = await this.get(orgId, id);
    throw new ApiError(
      ErrorCode.CONFLICT,
      `Message ${id} is ${current.status}: only a scheduled or queued message can be cancelled`,
    );
  }

  private async replay(orgId: string, key: string, hash: string): Promise<MessageRow | null> {
    const rows = await this.db
      .select()
      .from(messages)
      .where(and(eq(messages.orgId, orgId), eq(messages.idempotencyKey, key)))
      .limit(1);
    const prior = rows[0];
    if (!prior) return null;
    if (prior.requestHash !== hash) {
      throw new ApiError(ErrorCode.CONFLICT, "This Idempotency-Key was used with a different request body");
    }
    return prior;
  }

  async get(orgId: string, id: string): Promise<MessageRow> {
    const rows = await this.db
      .select()
      .from(messages)
      .where(and(eq(messages.orgId, orgId), eq(messages.id, id)))
      .limit(1);
    if (!rows[0]) throw notFound("Message");
    return rows[0];
  }

  /** Delivery analytics of [from, to) (ISO dates or times; default the last 7 days, at most 92). */
  async analyticsFor(orgId: string, q: { from?: string; to?: string; group_by: GroupBy }) {
    const to = q.to ? Date.parse(q.to) : Date.now();
    const from = q.from ? Date.parse(q.from) : to - 7 * 86_400_000;
    if (!(from < to)) throw invalid("from", "must be before to");
    if (to - from > 92 * 86_400_000) throw invalid("from", "the period is at most 92 days");
    const r = await this.analytics.report(orgId, { from, to, groupBy: q.group_by });
    return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), ...r };
  }

  /** Message `id` and the steps it went through, oldest first. */
  async withTimeline(orgId: string, id: string) {
    const [message, timeline] = await Promise.all([this.get(orgId, id), timelineOf(this.db, orgId, id)]);
    return { message, timeline };
  }

  async list(
    orgId: string,
    f: {
      status?: string;
      direction?: string;
      channel?: string;
      integrationId?: string;
      cursor?: string;
      limit: number;
    },
  ) {
    const after = decodeCursor(f.cursor);
    const rows = await this.db
      .select()
      .from(messages)
      .where(
        and(
          eq(messages.orgId, orgId),
          f.status ? eq(messages.status, f.status as MessageRow["status"]) : undefined,
          f.direction ? eq(messages.direction, f.direction as MessageRow["direction"]) : undefined,
          f.channel ? eq(messages.channel, f.channel) : undefined,
          f.integrationId ? eq(messages.integrationId, f.integrationId) : undefined,
          after ? lt(messages.id, after) : undefined,
        ),
      )
      .orderBy(desc(messages.id))
      .limit(f.limit + 1);
    return pageOf(rows, f.limit);
  }

  async stats(orgId: string) {
    const rows = await this.db
      .select({ status: messages.status, channel: messages.channel, n: sql<number>`count(*)` })
      .from(messages)
      .where(eq(messages.orgId, orgId))
      .groupBy(messages.status, messages.channel);
    const byStatus: Record<string, number> = {
      scheduled: 0,
      queued: 0,
      sending: 0,
      sent: 0,
      delivered: 0,
      failed: 0,
      received: 0,
      cancelled: 0,
    };
    const byChannel: Record<string, number> = {};
    let total = 0;
    for (const r of rows) {
      byStatus[r.status] = (byStatus[r.status] ?? 0) + r.n;
      byChannel[r.channel] = (byChannel[r.channel] ?? 0) + r.n;
      total += r.n;
    }
    return { total, by_status: byStatus, by_channel: byChannel };
  }

  /**
   * Sends one queued message (the queue consumer's work), through the job engine: a message
   * already sent or failed is acknowledged without a second send; one another worker is sending
   * is looked at again when its lease runs out.
   */
  process(orgId: string, messageId: string, log: Logger, now = Date.now()): Promise<RunResult> {
    return this.engine.run(this.sendJob, orgId, [messageId], log, now);
  }

  /** The `message.send` job kind: what the engine needs to know about sending a message. */
  get sendJob(): JobKind<MessageRow> {
    const isoNow = () => new Date().toISOString();
    return {
      type: "message.send",
      table: messages,
      // A scheduled message waits like a retry does: for its next_attempt_at.
      waiting: ["queued", "scheduled"],
      running: "sending",
      leaseMs: this.leaseMs,
      policy: SEND_POLICY,
      ...retryTime(messages.nextAttemptAt),
      messages: (orgId, ids) => ids.map((messageId) => ({ type: "message.send", orgId, messageId })),
      run: (job) => this.attempt(job),
      retrying: (_m, w) => ({
        status: "queued",
        lastError: w.reason,
        nextAttemptAt: new Date(w.at).toISOString(),
        updatedAt: isoNow(),
      }),
      failed: (_m, reason) => ({
        status: "failed",
        providerMessageId: null,
        lastError: reason,
        nextAttemptAt: null,
        sentAt: null,
        updatedAt: isoNow(),
      }),
      retryWrite: (m, w) => [
        timelineStatement(this.db, m, "retry", "queued", {
          detail: new Date(w.at).toISOString(),
          error: w.reason,
        }),
      ],
      failedWrite: (m, reason) => [
        timelineStatement(this.db, m, "failed", "failed", { error: reason }),
        this.activity.logStatement({
          orgId: m.orgId,
          integrationId: m.integrationId,
          level: "error",
          action: "message.failed",
          message: `Message ${m.id} failed: ${reason}`,
        }),
      ],
      afterFailed: async (m, e) => {
        if (!(e instanceof ProviderError) || e.kind !== "auth") return;
        const row = await this.integrations.get(m.orgId, m.integrationId).catch(() => null);
        if (row) await this.connections.markError(row, e.message, "message.auth_failed");
      },
      // Waiting for its first delivery, or for a retry that is due, for longer than the grace.
      stuck: (now) => {
        const before = new Date(now - QUEUED_GRACE_MS).toISOString();
        return or(
          and(
            eq(messages.status, "queued"),
            or(
              and(isNull(messages.nextAttemptAt), lt(messages.updatedAt, before)),
              lt(messages.nextAttemptAt, before),
            ),
          ),
          // A scheduled one whose time has come without its delivery.
          and(eq(messages.status, "scheduled"), lt(messages.nextAttemptAt, before)),
        );
      },
    };
  }

  /** One attempt at sending a claimed message. */
  private async attempt({ row: msg }: Claimed<MessageRow>): Promise<Outcome> {
    let row: IntegrationRow;
    try {
      row = await this.integrations.get(msg.orgId, msg.integrationId);
    } catch {
      return { result: "failed", reason: "the integration no longer exists" };
    }
    if (msg.sandbox || row.config.sandbox_mode === true)
      return this.sent(msg, row, `sandbox_mode:${msg.id}`, "recorded in sandbox mode, not sent");
    const provider = providerOf(row);
    if (!provider.send) return { result: "failed", reason: `${provider.displayName} cannot send messages` };
    const content = msg.content as Omit<OutboundMessage, "id" | "channel" | "to">;
    const send = provider.send;
    const result = await this.connections.run(row, (ctx) =>
      send(ctx, { ...content, id: msg.id, channel: msg.channel, to: msg.to }),
    );
    return this.sent(msg, row, result.providerMessageId);
  }

  /** A sent message's row and its activity log line. */
  private sent(msg: MessageRow, row: IntegrationRow, providerMessageId: string, note?: string): Outcome {
    const now = new Date().toISOString();
    return {
      result: "succeeded",
      set: {
        status: "sent",
        providerMessageId,
        lastError: null,
        nextAttemptAt: null,
        sentAt: now,
        updatedAt: now,
      },
      write: [
        timelineStatement(this.db, msg, "sent", "sent", { detail: note ?? providerMessageId, at: now }),
        this.activity.logStatement({
          orgId: msg.orgId,
          integrationId: row.id,
          action: "message.sent",
          message: `Message ${msg.id} ${note ?? `sent (${providerMessageId})`}`,
          details: note ? { to: msg.to, ...(msg.content as Record<string, unknown>) } : undefined,
        }),
      ],
    };
  }

  /** Re-enqueues messages nobody is working on (the minutely cron); answers how many. */
  redrive(now = Date.now()): Promise<number> {
    return this.engine.redrive(this.sendJob, now);
  }
}
