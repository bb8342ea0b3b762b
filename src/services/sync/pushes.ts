/**
 * Outward pushes (accounting providers): a create or update of a record at the provider, queued,
 * idempotent under an Idempotency-Key, sent as a kind of job of the job engine (claimed under a
 * lease, retried with backoff, a dead letter when it fails for good), and the provider's id
 * stored.
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
import type { Shards } from "../../db/shards.ts";
import { ApiError, ErrorCode, notFound } from "../../errors.ts";
import type { RetryPolicy } from "../../jobs/backoff.ts";
import { JobEngine, retryTime } from "../../jobs/engine.ts";
import type { Claimed, JobKind, Outcome, RunResult } from "../../jobs/kind.ts";
import { stillHeld } from "../../jobs/lease.ts";
import { prefixedId } from "../../lib/ids.ts";
import type { Logger } from "../../lib/log.ts";
import { ProviderError } from "../../providers/runtime.ts";
import { PUSH_SCHEMAS, PushConflict, RECORD_SCHEMAS, type RecordData } from "../../providers/sync.ts";
import type { JobMessage } from "../../queue/messages.ts";
import type { Activity } from "../activity.ts";
import type { Connections } from "../connections.ts";
import type { Events } from "../events.ts";
import { forgetIntegration } from "../integration-cache.ts";
import type { Integrations } from "../integrations.ts";
import { providerOf } from "../integrations.ts";
import { checked, parseWith, pushOperation } from "./push-input.ts";
import type { SyncRecords } from "./records.ts";
import {
  announce,
  LEASE_MS,
  MAX_ATTEMPTS,
  nowIso,
  type PushOptions,
  resolveEntity,
  STUCK_MS,
  type SyncDeps,
} from "./shared.ts";

/** A push retries after 5 s, 10 s, 20 s, ... (±20 %), capped at 5 minutes. */
const PUSH_POLICY: RetryPolicy = { maxAttempts: MAX_ATTEMPTS, baseSeconds: 5, capSeconds: 300 };

export class SyncPushes {
  private readonly db: Db;
  private readonly shards: Shards;
  private readonly activity: Activity;
  private readonly integrations: Integrations;
  private readonly connections: Connections;
  private readonly events: Events;
  private readonly queue: Queue;
  private readonly engine: JobEngine;

  constructor(
    deps: SyncDeps,
    private readonly reader: SyncRecords,
  ) {
    this.db = deps.db;
    this.shards = deps.shards;
    this.activity = deps.activity;
    this.integrations = deps.integrations;
    this.connections = deps.connections;
    this.events = deps.events;
    this.queue = deps.queue;
    this.engine = new JobEngine(deps.db, deps.queue);
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
    if (spec.createOnly && opts.externalId) {
      throw new ApiError(
        ErrorCode.BAD_REQUEST,
        `${provider.displayName} ${entity} are only created through the hub, never updated`,
        { issues: [{ path: "external_id", message: "not allowed: this entity is create-only" }] },
      );
    }
    const operation = pushOperation(provider.displayName, entity, spec, opts);
    const data: unknown =
      operation === "delete"
        ? {}
        : parseWith<unknown>(PUSH_SCHEMAS[spec.kind] ?? RECORD_SCHEMAS[spec.kind], opts.data, "data");
    const options = spec.pushOptions ? parseWith(spec.pushOptions, opts.options ?? {}, "options") : null;
    if (!spec.pushOptions && opts.options && Object.keys(opts.options).length)
      throw new ApiError(ErrorCode.INVALID_FIELD, `options: ${entity} pushes take no options`, {
        issues: [{ path: "options", message: "not taken by this entity" }],
      });
    if (row.disconnectedAt || !row.isActive) {
      throw new ApiError(
        ErrorCode.CONFLICT,
        "The integration is inactive or disconnected; activate it to push records",
      );
    }
    if (opts.externalId && operation !== "create")
      await this.reader.record(row.orgId, row.id, entity, opts.externalId);
    const requestHash = await sha256Hex(
      JSON.stringify([entity, opts.externalId ?? null, operation, data, options]),
    );
    // The same key again answers the first push, before any check at the provider.
    const earlier = opts.idempotencyKey ? await this.byKey(row.id, opts.idempotencyKey) : undefined;
    if (earlier) return { push: this.sameRequest(earlier, requestHash), created: false };
    const check = sync.check;
    if (check && operation !== "delete") {
      await checked(providerOf(row).displayName, () =>
        this.connections.run(row, (ctx) =>
          check(ctx, entity, {
            operation,
            ...(opts.externalId ? { externalId: opts.externalId } : {}),
            data: data as RecordData,
            ...(options ? { options } : {}),
          }),
        ),
      );
    }
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
        operation,
        externalId: opts.externalId ?? null,
        data: data as Record<string, unknown>,
        options,
        status: "queued",
      })
      .onConflictDoNothing()
      .returning();
    const created = inserted[0];
    if (!created) {
      const existing = await this.byKey(row.id, opts.idempotencyKey ?? "");
      if (!existing) throw new ApiError(ErrorCode.CONFLICT, "Idempotency-Key is in use; retry");
      return { push: this.sameRequest(existing, requestHash), created: false };
    }
    await this.queue.send({ type: "record.push", orgId: row.orgId, pushId: id } satisfies JobMessage);
    await this.activity.log({
      orgId: row.orgId,
      integrationId: row.id,
      action: "sync.push.queued",
      message: `Push (${created.operation}) of one ${entity} record queued`,
      details: { push_id: id, actor: opts.actor },
    });
    return { push: created, created: true };
  }

  /** The push an Idempotency-Key made on this integration, if any. */
  private async byKey(integrationId: string, key: string): Promise<RecordPushRow | undefined> {
    const [existing] = await this.db
      .select()
      .from(recordPushes)
      .where(and(eq(recordPushes.integrationId, integrationId), eq(recordPushes.idempotencyKey, key)))
      .limit(1);
    return existing;
  }

  /** The earlier push of a key, when this request is the same one; a 409 otherwise. */
  private sameRequest(existing: RecordPushRow, requestHash: string): RecordPushRow {
    if (existing.requestHash !== requestHash) {
      throw new ApiError(
        ErrorCode.CONFLICT,
        "Idempotency-Key was already used for a different request; use a new key for a new record",
      );
    }
    return existing;
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

  /**
   * Sends one push to the provider (one queue message), through the job engine: a push already
   * finished is acknowledged without a second call; one another worker holds is looked at again
   * when its lease runs out.
   */
  processPush(orgId: string, pushId: string, log: Logger, now = Date.now()): Promise<RunResult> {
    return this.engine.run(this.pushJob, orgId, [pushId], log, now);
  }

  /** Re-enqueues pushes nobody is working on (the minutely cron); answers how many. */
  redrive(now = Date.now()): Promise<number> {
    return this.engine.redrive(this.pushJob, now);
  }

  /** The `record.push` job kind. */
  get pushJob(): JobKind<RecordPushRow> {
    return {
      type: "record.push",
      table: recordPushes,
      waiting: ["queued"],
      running: "processing",
      leaseMs: LEASE_MS,
      policy: PUSH_POLICY,
      onClaim: () => ({ updatedAt: nowIso() }),
      ...retryTime(recordPushes.nextAttemptAt),
      messages: (orgId, ids) => ids.map((pushId) => ({ type: "record.push", orgId, pushId })),
      run: (job) => this.attempt(job),
      retrying: (_p, w) => ({
        status: "queued",
        error: `Retrying: ${w.reason}`,
        nextAttemptAt: new Date(w.at).toISOString(),
        updatedAt: nowIso(),
      }),
      failed: (_p, reason) => ({
        status: "failed",
        nextAttemptAt: null,
        error: reason,
        completedAt: nowIso(),
        updatedAt: nowIso(),
      }),
      // The outbound log entry of a push that failed at its provider, and the connection's state.
      afterFailed: async (p, e) => {
        const row = await this.integrations.get(p.orgId, p.integrationId).catch(() => null);
        if (!row) return;
        const [stored] = await this.db.select().from(recordPushes).where(eq(recordPushes.id, p.id)).limit(1);
        const logId = prefixedId("sync");
        // The claim stamped `updated_at`: the push started then.
        await this.outboundLog(logId, p, row, "failed", p.updatedAt, stored?.error ?? null);
        await this.announceLog(p.orgId, logId);
        if (e instanceof ProviderError && e.kind === "auth")
          await this.connections.markError(row, e.message, "sync");
      },
      // Lost by the queue: an enqueue that failed after the push was stored, or a retry's message.
      stuck: (now) => {
        const before = new Date(now - STUCK_MS).toISOString();
        return and(
          inArray(recordPushes.status, ["queued", "processing"]),
          lt(recordPushes.updatedAt, before),
          or(isNull(recordPushes.leaseUntil), lt(recordPushes.leaseUntil, now)),
          or(isNull(recordPushes.nextAttemptAt), lt(recordPushes.nextAttemptAt, before)),
        );
      },
    };
  }

  /** One attempt at sending a claimed push to its provider. */
  private async attempt({ row: taken, lease }: Claimed<RecordPushRow>): Promise<Outcome> {
    const orgId = taken.orgId;
    let row: IntegrationRow;
    try {
      row = await this.integrations.get(orgId, taken.integrationId);
    } catch {
      return { result: "failed", reason: "the integration was deleted" };
    }
    const provider = providerOf(row);
    const { sync, spec } = resolveEntity(provider, taken.entity);
    const started = nowIso();
    const current = taken.externalId
      ? (await this.reader.record(orgId, row.id, taken.entity, taken.externalId).catch(() => null))?.raw
      : undefined;
    const push = sync.push;
    if (!push) throw new ProviderError("permanent", "this provider takes no pushes");
    let result: Awaited<ReturnType<typeof push>>;
    try {
      result = await this.connections.run(row, (ctx) =>
        push(ctx, taken.entity, {
          externalId: taken.externalId ?? undefined,
          operation: taken.operation,
          key: taken.id,
          ...(taken.options ? { options: taken.options } : {}),
          data: taken.data as RecordData,
          current,
        }),
      );
    } catch (e) {
      // The slot was taken between the check and the push: refused for good, never booked twice.
      if (e instanceof PushConflict) throw new ProviderError("permanent", `conflict: ${e.message}`);
      throw e;
    }
    const mapped = result.data ? RECORD_SCHEMAS[spec.kind].safeParse(result.data) : null;
    const data = {
      ...(mapped?.success ? mapped.data : taken.data),
      external_id: result.externalId,
      external_provider: row.provider,
    };
    const ts = nowIso();
    const gone = result.deleted === true || taken.operation === "delete";
    const recordsDb = this.shards.of(orgId);
    const upsert = recordsDb
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
        deletedAt: gone ? ts : null,
      })
      .onConflictDoUpdate({
        target: [records.integrationId, records.entity, records.externalId],
        // A delete keeps the record's last data and marks it deleted. The sync's hash no longer
        // describes what is stored, so the next sync writes the record whatever it compares.
        set: gone
          ? { raw: result.raw ?? sql`${records.raw}`, updatedAt: ts, deletedAt: ts, dataHash: null }
          : { data, raw: result.raw ?? null, updatedAt: ts, deletedAt: null, dataHash: null },
      });
    let recordId: SQL | string | null =
      sql`(select ${records.id} from ${records} where ${records.integrationId} = ${row.id}
      and ${records.entity} = ${taken.entity} and ${records.externalId} = ${result.externalId})`;
    const recordWrite = [];
    if (recordsDb === this.db) recordWrite.push(upsert);
    else {
      // The records are in a shard (src/db/shards.ts): the record is written first, while the
      // lease is held (a late worker stops here), and the push names it by id. A crash after it
      // leaves the record right; the retry, under the same Idempotency-Key, writes it again.
      if (!(await stillHeld(this.db, lease))) return { result: "succeeded", set: {} };
      const [stored] = await upsert.returning({ id: records.id });
      recordId = stored?.id ?? null;
    }
    const logId = prefixedId("sync");
    // The push's end, the record and the outbound log in the engine's one batch under the lease.
    return {
      result: "succeeded",
      set: {
        status: "succeeded",
        externalId: result.externalId,
        error: null,
        completedAt: ts,
        updatedAt: ts,
      },
      write: [
        ...recordWrite,
        this.db.update(recordPushes).set({ recordId }).where(eq(recordPushes.id, taken.id)),
        this.outboundLog(logId, taken, row, "success", started, null),
        this.db.update(integrations).set({ lastSyncAt: ts }).where(eq(integrations.id, row.id)),
      ],
      after: () => {
        forgetIntegration(row.id);
        return this.announceLog(orgId, logId);
      },
    };
  }

  /** The outbound entry in the sync log for a finished push. */
  private outboundLog(
    id: string,
    p: RecordPushRow,
    row: IntegrationRow,
    status: "success" | "failed",
    started: string,
    error: string | null,
  ) {
    return this.db.insert(syncJobs).values({
      id,
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
      completedAt: nowIso(),
    });
  }

  /** Emits `sync.completed` for a push's outbound log entry. */
  private async announceLog(orgId: string, id: string) {
    const [job] = await this.db
      .select()
      .from(syncJobs)
      .where(and(eq(syncJobs.orgId, orgId), eq(syncJobs.id, id)))
      .limit(1);
    if (job) await announce(this.events, job);
  }
}
