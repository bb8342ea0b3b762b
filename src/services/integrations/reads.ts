/**
 * Reading integrations: a page of the organization's, one by id or by provider, the connected
 * ones, their decrypted secrets (for provider calls only), their activity log and statistics.
 */
import { and, count, desc, eq, getTableColumns, isNull, lt, or, sql } from "drizzle-orm";
import type { Vault } from "../../crypto/vault.ts";
import type { Db } from "../../db/client.ts";
import { type IntegrationRow, integrations } from "../../db/schema.ts";
import { ApiError, ErrorCode, notFound } from "../../errors.ts";
import { UUID_RE } from "../../lib/ids.ts";
import { decodeCursor, pageOf } from "../../lib/pagination.ts";
import type { Activity } from "../activity.ts";
import {
  cachedIntegration,
  cachedPage,
  cacheIntegration,
  cachePage,
  integrationGeneration,
} from "../integration-cache.ts";
import type { IntegrationRef, IntegrationsDeps, ListFilter } from "./shared.ts";

/** Every column but the secrets' ciphertext, which a view never shows and a page need not carry. */
const { secrets: _ciphertext, ...SHOWN_COLUMNS } = getTableColumns(integrations);

export class IntegrationReads {
  private readonly db: Db;
  private readonly activity: Activity;
  private readonly vault: () => Promise<Vault>;
  private readonly cacheReads: boolean;

  constructor(deps: IntegrationsDeps) {
    this.cacheReads = deps.cacheReads;
    this.db = deps.db;
    this.activity = deps.activity;
    this.vault = deps.vault;
  }

  /**
   * A page of the organization's integrations, to show: without their secrets' ciphertext. The
   * isolate's copy of the page serves for a few seconds (src/services/integration-cache.ts).
   */
  async list(orgId: string, f: ListFilter) {
    if (!this.cacheReads) return this.readPage(orgId, f);
    const key = JSON.stringify([f.type, f.provider, f.activeOnly, f.cursor, f.limit]);
    const cached = cachedPage<Awaited<ReturnType<IntegrationReads["readPage"]>>>(orgId, key);
    if (cached) return cached;
    const readAt = integrationGeneration();
    const page = await this.readPage(orgId, f);
    cachePage(orgId, key, page, readAt);
    return page;
  }

  private async readPage(orgId: string, f: ListFilter) {
    const after = decodeCursor(f.cursor);
    const rows = await this.db
      .select(SHOWN_COLUMNS)
      .from(integrations)
      .where(
        and(
          eq(integrations.orgId, orgId),
          f.type ? or(eq(integrations.category, f.type), eq(integrations.provider, f.type)) : undefined,
          f.provider ? eq(integrations.provider, f.provider) : undefined,
          f.activeOnly ? eq(integrations.isActive, true) : undefined,
          after ? lt(integrations.id, after) : undefined,
        ),
      )
      .orderBy(desc(integrations.id))
      .limit(f.limit + 1);
    return pageOf(rows, f.limit);
  }

  /**
   * The organization's integration `id` as this isolate last read it, if within the cache's TTL
   * (src/services/integration-cache.ts), else from D1. For reads only: a write reads `get`.
   */
  async getCached(orgId: string, id: string): Promise<IntegrationRow> {
    if (!this.cacheReads) return this.get(orgId, id);
    const cached = cachedIntegration(orgId, id);
    if (cached) return cached;
    const readAt = integrationGeneration();
    const row = await this.get(orgId, id);
    cacheIntegration(row, readAt);
    return row;
  }

  /** The organization's integration `id`; another tenant's or a missing one is a 404. */
  async get(orgId: string, id: string): Promise<IntegrationRow> {
    if (!UUID_RE.test(id)) throw notFound();
    const rows = await this.db
      .select()
      .from(integrations)
      .where(and(eq(integrations.orgId, orgId), eq(integrations.id, id)))
      .limit(1);
    const row = rows[0];
    if (!row) throw notFound();
    return row;
  }

  /**
   * The organization's integration of a provider, for per-provider routes. With several (the
   * 001 dialect allows that) the caller must name one with `integration_id`.
   */
  async findByProvider(
    orgId: string,
    providerId: string,
    integrationId?: string,
  ): Promise<IntegrationRow | null> {
    if (integrationId) {
      const row = await this.get(orgId, integrationId);
      if (row.provider !== providerId) throw notFound();
      return row;
    }
    const rows = await this.db
      .select()
      .from(integrations)
      .where(and(eq(integrations.orgId, orgId), eq(integrations.provider, providerId)))
      .orderBy(desc(integrations.id))
      .limit(2);
    if (rows.length > 1) {
      throw new ApiError(
        ErrorCode.CONFLICT,
        `The organization has several ${providerId} integrations; name one with ?integration_id=`,
      );
    }
    return rows[0] ?? null;
  }

  /** The integration a path names, by id or by provider; none is a 404. */
  async resolve(orgId: string, ref: IntegrationRef): Promise<IntegrationRow> {
    if ("id" in ref) return this.get(orgId, ref.id);
    const row = await this.findByProvider(orgId, ref.provider.id, ref.integrationId);
    if (!row) throw new ApiError(ErrorCode.NOT_FOUND, `No ${ref.provider.displayName} integration`);
    return row;
  }

  async connected(orgId: string, limit: number) {
    return this.db
      .select()
      .from(integrations)
      .where(
        and(
          eq(integrations.orgId, orgId),
          eq(integrations.isActive, true),
          isNull(integrations.disconnectedAt),
        ),
      )
      .orderBy(desc(integrations.id))
      .limit(limit);
  }

  /** Decrypted secrets of an integration (for provider calls; never for responses). */
  async secretsOf(row: IntegrationRow): Promise<Record<string, string>> {
    if (!row.secrets || row.keyVersion === null) return {};
    const vault = await this.vault();
    return vault.decrypt(row.orgId, row.id, row.secrets, row.keyVersion);
  }

  /** The activity log of the organization's integration `id`, newest first. */
  async logs(orgId: string, id: string, page: { cursor?: string; limit: number }) {
    await this.get(orgId, id);
    return this.activity.listLogs(orgId, id, page);
  }

  /**
   * The organization's statistics: integrations by type and status, their error rate, the
   * messages service's counts and the outcomes of connection tests.
   */
  async stats<M>(orgId: string, messages: { stats(orgId: string): Promise<M> }) {
    const [base, msgs, tests] = await Promise.all([
      this.counts(orgId),
      messages.stats(orgId),
      this.activity.testOutcomes(orgId),
    ]);
    return { ...base, messages: msgs, tests };
  }

  private async counts(orgId: string) {
    const rows = await this.db
      .select({ category: integrations.category, status: integrations.status, n: count() })
      .from(integrations)
      .where(eq(integrations.orgId, orgId))
      .groupBy(integrations.category, integrations.status);
    const byType: Record<string, number> = {};
    const byStatus: Record<string, number> = { active: 0, inactive: 0, error: 0, pending: 0 };
    let total = 0;
    for (const r of rows) {
      byType[r.category] = (byType[r.category] ?? 0) + r.n;
      byStatus[r.status] = (byStatus[r.status] ?? 0) + r.n;
      total += r.n;
    }
    const [errs] = await this.db
      .select({ n: count(), failing: sql<number>`coalesce(sum(${integrations.errorCount} > 0), 0)` })
      .from(integrations)
      .where(eq(integrations.orgId, orgId));
    return {
      total,
      by_type: byType,
      by_status: byStatus,
      error_rate: total ? (byStatus.error ?? 0) / total : 0,
      with_recent_errors: errs?.failing ?? 0,
    };
  }
}
