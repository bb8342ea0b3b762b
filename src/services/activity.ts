/**
 * Integration logs (activity, errors, status changes) and the audit log (who did what to keys,
 * organizations and connections). Both redact secrets: values under secret-looking keys are
 * masked and credential shapes in any text are removed (lib/redact.ts). Statement builders
 * return statements so callers can batch them with the write they describe.
 *
 * Integration logs are high-volume rows: they live in the organization's data database
 * (src/db/shards.ts), so a log statement is an `On` that database, batched with `batchAcross`
 * (one batch where it is DB, as before). The audit log stays in the main database.
 */
import { and, desc, eq, lt, sql } from "drizzle-orm";
import { type On, on } from "../db/batch.ts";
import type { Db } from "../db/client.ts";
import { auditLogs, integrationLogs } from "../db/schema.ts";
import type { Shards } from "../db/shards.ts";
import { prefixedId } from "../lib/ids.ts";
import { redact } from "../lib/log.ts";
import { decodeCursor, pageOf } from "../lib/pagination.ts";
import { redactTokens } from "../lib/redact.ts";

export interface LogEntry {
  orgId: string;
  integrationId: string;
  level?: "info" | "warn" | "error";
  action: string;
  message: string;
  details?: Record<string, unknown>;
}

export interface AuditEntry {
  orgId: string | null;
  actor: string;
  action: string;
  targetType: string;
  targetId?: string | null;
  details?: Record<string, unknown>;
}

export class Activity {
  constructor(
    private readonly db: Db,
    private readonly requestId: string,
    private readonly shards: Shards,
  ) {}

  /** The log line as a statement on the organization's data database, for `batchAcross`. */
  logStatement(e: LogEntry): On {
    const db = this.shards.of(e.orgId);
    return on(db, this.logInsert(db, e));
  }

  /** Writes one log line now. */
  async log(e: LogEntry): Promise<void> {
    await this.logInsert(this.shards.of(e.orgId), e);
  }

  private logInsert(db: Db, e: LogEntry) {
    return db.insert(integrationLogs).values({
      id: prefixedId("log"),
      orgId: e.orgId,
      integrationId: e.integrationId,
      level: e.level ?? "info",
      action: e.action,
      message: redactTokens(e.message),
      details: e.details ? (redact(e.details) as Record<string, unknown>) : null,
    });
  }

  auditStatement(e: AuditEntry) {
    return this.db.insert(auditLogs).values({
      id: prefixedId("aud"),
      orgId: e.orgId,
      actor: e.actor,
      action: e.action,
      targetType: e.targetType,
      targetId: e.targetId ?? null,
      details: e.details ? (redact(e.details) as Record<string, unknown>) : null,
      requestId: this.requestId,
    });
  }

  async listLogs(orgId: string, integrationId: string, opts: { cursor?: string; limit: number }) {
    const after = decodeCursor(opts.cursor);
    const rows = await this.shards
      .of(orgId)
      .select()
      .from(integrationLogs)
      .where(
        and(
          eq(integrationLogs.orgId, orgId),
          eq(integrationLogs.integrationId, integrationId),
          after ? lt(integrationLogs.id, after) : undefined,
        ),
      )
      .orderBy(desc(integrationLogs.id))
      .limit(opts.limit + 1);
    return pageOf(rows, opts.limit);
  }

  /** Test-connection outcomes of the organization's integrations. */
  async testOutcomes(orgId: string): Promise<{ succeeded: number; failed: number }> {
    const rows = await this.shards
      .of(orgId)
      .select({ level: integrationLogs.level, n: sql<number>`count(*)` })
      .from(integrationLogs)
      .where(and(eq(integrationLogs.orgId, orgId), eq(integrationLogs.action, "test")))
      .groupBy(integrationLogs.level);
    return {
      succeeded: rows.find((r) => r.level === "info")?.n ?? 0,
      failed: rows.find((r) => r.level === "error")?.n ?? 0,
    };
  }

  async listAudit(orgId: string, opts: { cursor?: string; limit: number }) {
    const after = decodeCursor(opts.cursor);
    const rows = await this.db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.orgId, orgId), after ? lt(auditLogs.id, after) : undefined))
      .orderBy(desc(auditLogs.id))
      .limit(opts.limit + 1);
    return pageOf(rows, opts.limit);
  }
}
