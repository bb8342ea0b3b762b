/**
 * The due-refresh cron: refreshes, ahead of expiry, the tokens of integrations that are still
 * in use, a few at a time, under the same lease as an on-demand refresh. A row another caller
 * holds or refreshed meanwhile is skipped, so a repeated or overlapping run does no harm.
 */
import { and, inArray, isNull, lt, ne, or, sql } from "drizzle-orm";
import { type IntegrationRow, integrations } from "../../db/schema.ts";
import { ProviderError } from "../../providers/runtime.ts";
import type { TokenRefresh } from "./refresh.ts";
import {
  CRON_CONCURRENCY,
  CRON_WINDOW_MS,
  REFRESHABLE_IDS,
  type RefreshDueResult,
  type TokensDeps,
} from "./shared.ts";

export class TokenSchedule {
  constructor(
    private readonly deps: TokensDeps,
    private readonly refresher: TokenRefresh,
  ) {}

  /**
   * The cron: refreshes integrations whose token expires within 15 minutes (refreshable
   * providers, not in error, not disconnected), a few at a time.
   */
  async refreshDue(limit = 100): Promise<RefreshDueResult> {
    const { db, log } = this.deps;
    const now = Date.now();
    const cutoff = new Date(now + CRON_WINDOW_MS).toISOString();
    const rows = await db
      .select()
      .from(integrations)
      .where(
        and(
          inArray(integrations.provider, REFRESHABLE_IDS),
          sql`${integrations.tokenExpiresAt} IS NOT NULL`,
          sql`julianday(${integrations.tokenExpiresAt}) <= julianday(${cutoff})`,
          ne(integrations.status, "error"),
          isNull(integrations.disconnectedAt),
          sql`${integrations.secretFields} LIKE '%"refresh_token"%'`,
          or(isNull(integrations.refreshLeaseUntil), lt(integrations.refreshLeaseUntil, now)),
        ),
      )
      .orderBy(integrations.tokenExpiresAt)
      .limit(limit);
    const result: RefreshDueResult = { due: rows.length, refreshed: 0, skipped: 0, failed: 0, retryable: 0 };
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < rows.length; i = next++) {
        const row = rows[i] as IntegrationRow;
        try {
          const out = await this.refresher.refreshRow(row, "cron", "cron", true);
          if (out.row.tokenExpiresAt !== row.tokenExpiresAt && out.refreshedHere) result.refreshed++;
          else result.skipped++;
        } catch (e) {
          if (e instanceof ProviderError && e.retryable) result.retryable++;
          else result.failed++;
          log.warn("scheduled token refresh failed", {
            integration_id: row.id,
            org_id: row.orgId,
            provider: row.provider,
            reason: e instanceof Error ? e.message : String(e),
          });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(CRON_CONCURRENCY, rows.length) }, worker));
    if (rows.length) log.info("scheduled token refresh", { ...result });
    return result;
  }
}
