/**
 * Outward pushes (accounting providers): a create or update of a record at the provider, queued,
 * idempotent under an Idempotency-Key, sent under a lease, and the provider's id stored.
 */
import { and, eq, inArray, isNull, lt, or, type SQL, sql } from "drizzle-orm";
import { sha256Hex } from "../../crypto/hash.ts";
import type { Db } from "../../db/client.ts";
import {
  type IntegrationRow,
  integrations,
  type RecordPushRow,
  recordPushes,
  records,
  syncJobs,
} from "../../db/schema.ts";
import { ApiError, ErrorCode, type Issue, notFound } from "../../errors.ts";
import { batchUnderLease, holds, type Lease } from "../../jobs/lease.ts";
import { prefixedId } from "../../lib/ids.ts";
import type { Logger } from "../../lib/log.ts";
import { ProviderError } from "../../providers/runtime.ts";
import { RECORD_SCHEMAS, type RecordData } from "../../providers/sync.ts";
import type { JobMessage } from "../../queue/messages.ts";
import type { Activity } from "../activity.ts";
import type { Connections } from "../connections.ts";
import type { Events } from "../events.ts";
import type { Integrations } from "../integrations.ts";
import { providerOf } from "../integrations.ts";
import type { SyncRecords } from "./records.ts";
import {
  announce,
  backoff,
  LEASE_MS,
  MAX_ATTEMPTS,
  nowIso,
  type PushOptions,
  resolveEntity,
  type SyncDeps,
} from "./shared.ts";

export class SyncPushes {
  private readonly db: Db;
  private readonly activity: Activity;
  private readonly integrations: Integrations;
  private readonly connections: Connections;
  private readonly events: Events;
  private readonly queue: Queue;
  private readonly dlq?: Queue;

  constructor(
    deps: SyncDeps,
    private readonly reader: SyncRecords,
  ) {
    this.db = deps.db;
    this.activity = deps.activity;
    this.integrations = deps.integrations;
    this.connections = deps.connections;
    this.events = deps.events;
    this.queue = deps.queue;
    this.dlq = deps.dlq;
  }

  /**
   * Queues a create (no external id) or update of a record at the provider. With an
   * Idempotency-Key, the same request again answers the first push; the same key with another
   * request is a 409.
   */
  async push(
    row: IntegrationRow,
    entityName: string,
    opts: PushOptions,
  ): Promise<{ push: RecordPushRow; created: boolean }> {
    const provider = providerOf(row);
    const { entity, spec, sync } = resolveEntity(provider, entityName);
    if (!spec.push || !sync.push) {
      throw new ApiError(
        ErrorCode.BAD_REQUEST,
        `${provider.displayName} does not take ${entity} from the hub`,
        {
          issues: [{ path: "entity", message: "cannot be pushed to this provider" }],
        },
      );
    }
    const parsed = RECORD_SCHEMAS[spec.kind].safeParse(opts.data);
    if (!parsed.success) {
      const issues: Issue[] = parsed.error.issues.map((i) => ({
        path: ["data", ...i.path].join("."),
        message: i.message,
      }));
      const first = issues[0] as Issue;
      throw new ApiError(ErrorCode.INVALID_FIELD, `${first.path}: ${first.message}`, { issues });
    }
    if (row.disconnectedAt || !row.isActive) {
      throw new ApiError(
        ErrorCode.CONFLICT,
        "The integration is inactive or disconnected; activate it to push records",
      );
    }
    if (opts.externalId) await this.reader.record(row.orgId, row.id, entity, opts.externalId);
    const requestHash = await sha256Hex(JSON.stringify([entity, opts.externalId ?? null, parsed.data]));
    const id = prefixedId("push");
    const inserted = await this.db
      .insert(recordPushes)
      .values({
        id,
        orgId: row.orgId,
        integrationId: row.id,
        entity,
        idempotencyKey: opts.idempotencyKey ?? null,
        requestHash,
        operation: opts.externalId ? "update" : "create",
        externalId: opts.externalId ?? null,
        data: parsed.data as Record<string, unknown>,
        status: "queued",
      })
      .onConflictDoNothing()
      .returning();
    const created = inserted[0];
    if (!created) {
      const [existing] = await this.db
        .select()
        .from(recordPushes)
        .where(
          and(
            eq(recordPushes.integrationId, row.id),
            eq(recordPushes.idempotencyKey, opts.idempotencyKey ?? ""),
          ),
        )
        .limit(1);
      if (!existing) throw new ApiError(ErrorCode.CONFLICT, "Idempotency-Key is in use; retry");
      if (existing.requestHash !== requestHash) {
        throw new ApiError(
          ErrorCode.CONFLICT,
          "Idempotency-Key was already used for a different request; use a new key for a new record",
        );
      }
      return { push: existing, created: false };
    }
    await this.queue.send({ type: "record.push", orgId: row.orgId, pushId: id } satisfies JobMessage);
    await this.activity.logStatement({
      orgId: row.orgId,
      integrationId: row.id,
      action: "sync.push.queued",
      message: `Push (${created.operation}) of one ${entity} record queued`,
      details: { push_id: id, actor: opts.actor },
    });
    return { push: created, created: true };
  }

  async getPush(orgId: string, integrationId: string, id: string): Promise<RecordPushRow> {
    const [p] = await this.db
      .select()
      .from(recordPushes)
      .where(
        and(
          eq(recordPushes.orgId, orgId),
          eq(recordPushes.integrationId, integrationId),
          eq(recordPushes.id, id),
        ),
      )
      .limit(1);
    if (!p) throw notFound("Push");
    return p;
  }

  /** Sends one push to the provider (one queue message); a repeated delivery does nothing twice. */
  async processPush(
    orgId: string,
    pushId: string,
    log: Logger,
    now = Date.now(),
  ): Promise<{ retryInSeconds?: number }> {
    const lease: Lease = { table: recordPushes, id: pushId, until: now + LEASE_MS };
    const [taken] = await this.db
      .update(recordPushes)
      .set({
        status: "processing",
        leaseUntil: lease.until,
        attempts: sql`${recordPushes.attempts} + 1`,
        updatedAt: nowIso(),
      })
      .where(
        and(
          eq(recordPushes.orgId, orgId),
          eq(recordPushes.id, pushId),
          inArray(recordPushes.status, ["queued", "processing"]),
          or(isNull(recordPushes.leaseUntil), lt(recordPushes.leaseUntil, now)),
        ),
      )
      .returning();
    if (!taken) {
      const [p] = await this.db.select().from(recordPushes).where(eq(recordPushes.id, pushId)).limit(1);
      if (p && (p.status === "queued" || p.status === "processing")) {
        return { retryInSeconds: Math.max(1, Math.ceil(((p.leaseUntil ?? now) - now) / 1000) + 1) };
      }
      return {};
    }
    let row: IntegrationRow;
    try {
      row = await this.integrations.get(orgId, taken.integrationId);
    } catch {
      await this.endPush(lease, "failed", { error: "the integration was deleted" });
      return {};
    }
    const provider = providerOf(row);
    const { sync, spec } = resolveEntity(provider, taken.entity);
    const started = nowIso();
    try {
      const current = taken.externalId
        ? (await this.reader.record(orgId, row.id, taken.entity, taken.externalId).catch(() => null))?.raw
        : undefined;
      const push = sync.push;
      if (!push) throw new ProviderError("permanent", "this provider takes no pushes");
      const result = await this.connections.run(row, (ctx) =>
        push(ctx, taken.entity, {
          externalId: taken.externalId ?? undefined,
          data: taken.data as RecordData,
          current,
        }),
      );
      const mapped = result.data ? RECORD_SCHEMAS[spec.kind].safeParse(result.data) : null;
      const data = {
        ...(mapped?.success ? mapped.data : taken.data),
        external_id: result.externalId,
        external_provider: row.provider,
      };
      const ts = nowIso();
      const upsert = this.db
        .insert(records)
        .values({
          id: prefixedId("rec"),
          orgId,
          integrationId: row.id,
          entity: taken.entity,
          externalId: result.externalId,
          data,
          raw: result.raw ?? null,
          updatedAt: ts,
        })
        .onConflictDoUpdate({
          target: [records.integrationId, records.entity, records.externalId],
          set: { data, raw: result.raw ?? null, updatedAt: ts, deletedAt: null },
        });
      // The record and the push's end in one batch, only while this consumer holds the push.
      const recordId = sql`(select ${records.id} from ${records} where ${records.integrationId} = ${row.id}
        and ${records.entity} = ${taken.entity} and ${records.externalId} = ${result.externalId})`;
      const saved = await batchUnderLease(this.db, lease, [
        upsert,
        this.endPushStatement(lease, "succeeded", { externalId: result.externalId, recordId }),
      ]);
      if (saved) await this.logPush(taken, row, "success", started, null);
      return {};
    } catch (e) {
      if (!(e instanceof ProviderError)) {
        await this.db.update(recordPushes).set({ leaseUntil: null }).where(holds(lease));
        throw e;
      }
      if (e.retryable && taken.attempts < MAX_ATTEMPTS) {
        const wait = e.opts.retryAfterSeconds ?? backoff(taken.attempts);
        const retried = await this.db
          .update(recordPushes)
          .set({ status: "queued", leaseUntil: null, error: `Retrying: ${e.message}`, updatedAt: nowIso() })
          .where(holds(lease))
          .run();
        if (retried.meta.changes !== 1) return {};
        await this.queue.send({ type: "record.push", orgId, pushId } satisfies JobMessage, {
          delaySeconds: wait,
        });
        return {};
      }
      if (!(await this.endPush(lease, "failed", { error: e.message }))) return {};
      log.error("push failed", { push_id: taken.id, reason: e.message });
      await this.dlq?.send({ type: "record.push", orgId, pushId, reason: e.message });
      await this.logPush(taken, row, "failed", started, e.message);
      if (e.kind === "auth") await this.connections.markError(row, e.message, "sync");
      return {};
    }
  }

  /** Ends a push, only under `lease`. */
  private endPushStatement(
    lease: Lease,
    status: "succeeded" | "failed",
    set: { externalId?: string; recordId?: string | SQL | null; error?: string },
  ) {
    return this.db
      .update(recordPushes)
      .set({
        status,
        leaseUntil: null,
        completedAt: nowIso(),
        updatedAt: nowIso(),
        error: set.error ?? null,
        ...set,
      })
      .where(holds(lease));
  }

  /** Ends a push under `lease`; false (nothing written) when another consumer has taken it over. */
  private async endPush(lease: Lease, status: "succeeded" | "failed", set: { error?: string }) {
    const r = await this.endPushStatement(lease, status, set).run();
    return r.meta.changes === 1;
  }

  /** An outbound entry in the sync log for a finished push. */
  private async logPush(
    p: RecordPushRow,
    row: IntegrationRow,
    status: "success" | "failed",
    started: string,
    error: string | null,
  ) {
    const now = nowIso();
    const [job] = await this.db
      .insert(syncJobs)
      .values({
        id: prefixedId("sync"),
        orgId: row.orgId,
        integrationId: row.id,
        provider: row.provider,
        entity: p.entity,
        direction: "outbound",
        trigger: "push",
        mode: "incremental",
        status,
        pagesDone: 1,
        recordsSynced: status === "success" ? 1 : 0,
        recordsFailed: status === "success" ? 0 : 1,
        errorMessage: error,
        startedAt: started,
        completedAt: now,
      })
      .returning();
    if (status === "success") {
      await this.db.update(integrations).set({ lastSyncAt: now }).where(eq(integrations.id, row.id));
    }
    if (job) await announce(this.events, job);
  }
}
