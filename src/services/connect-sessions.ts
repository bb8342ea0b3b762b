/**
 * Connect sessions: a short-lived (15 minutes), single-organization token that a host app's
 * backend mints with an admin key and hands to a browser, so the browser can start an OAuth
 * connection (`/api/integrations/{provider}/auth?session=…`) without ever seeing an API key.
 * The token (`sbcs_…`) is shown once and stored only as its SHA-256; it may be limited to some
 * providers, and carries a default return URL for the flow.
 */
import { and, eq, lt } from "drizzle-orm";
import { sha256Hex } from "../crypto/hash.ts";
import type { Db } from "../db/client.ts";
import { type ConnectSessionRow, connectSessions } from "../db/schema.ts";
import { ApiError, ErrorCode } from "../errors.ts";
import { prefixedId, randomToken } from "../lib/ids.ts";
import type { Activity } from "./activity.ts";

export const CONNECT_SESSION_TTL_MS = 15 * 60 * 1000;
export const CONNECT_SESSION_PREFIX = "sbcs_";

export interface NewConnectSession {
  allowedProviders?: string[] | null;
  /** Already checked against the allowed return origins by the caller. */
  returnTo?: string | null;
  actor: string;
}

export interface ConnectSessionAuth {
  sessionId: string;
  orgId: string;
  allowedProviders: string[] | null;
  returnTo: string | null;
  actor: string;
}

export class ConnectSessions {
  constructor(
    private readonly db: Db,
    private readonly activity: Activity,
  ) {}

  /** Mints a session; the token is returned here only. */
  async create(orgId: string, input: NewConnectSession, nowMs = Date.now()) {
    const token = `${CONNECT_SESSION_PREFIX}${randomToken(32)}`;
    const id = prefixedId("cs");
    const expiresAt = nowMs + CONNECT_SESSION_TTL_MS;
    const allowed = input.allowedProviders?.length ? [...new Set(input.allowedProviders)] : null;
    await this.db.batch([
      // Expired sessions of the organization are no use to anyone; drop them on the way.
      this.db
        .delete(connectSessions)
        .where(and(eq(connectSessions.orgId, orgId), lt(connectSessions.expiresAt, nowMs))),
      this.db.insert(connectSessions).values({
        id,
        tokenHash: await sha256Hex(token),
        orgId,
        allowedProviders: allowed,
        returnTo: input.returnTo ?? null,
        actor: input.actor,
        expiresAt,
      }),
      this.activity.auditStatement({
        orgId,
        actor: input.actor,
        action: "connect_session.created",
        targetType: "connect_session",
        targetId: id,
        details: { allowed_providers: allowed, expires_at: new Date(expiresAt).toISOString() },
      }),
    ]);
    return { id, token, expiresAt, allowedProviders: allowed };
  }

  /**
   * The session a token names, for starting a flow with `providerId`: unknown or expired → 401,
   * a provider outside the session's allowed list → 403.
   */
  async authenticate(token: string, providerId: string, nowMs = Date.now()): Promise<ConnectSessionAuth> {
    const session = await this.lookup(token, nowMs);
    if (session.allowedProviders && !session.allowedProviders.includes(providerId)) {
      throw new ApiError(
        ErrorCode.FORBIDDEN,
        `This connect session may not connect ${providerId} (allowed: ${session.allowedProviders.join(", ")})`,
      );
    }
    return session;
  }

  /** The session a token names, whatever the provider: unknown or expired → 401 with its reason in words. */
  async lookup(token: string, nowMs = Date.now()): Promise<ConnectSessionAuth & { expiresAt: number }> {
    if (!token.startsWith(CONNECT_SESSION_PREFIX)) {
      throw new ApiError(ErrorCode.UNAUTHORIZED, "Invalid connect session token");
    }
    const rows = await this.db
      .select()
      .from(connectSessions)
      .where(eq(connectSessions.tokenHash, await sha256Hex(token)))
      .limit(1);
    const row: ConnectSessionRow | undefined = rows[0];
    if (!row) throw new ApiError(ErrorCode.UNAUTHORIZED, "Invalid connect session token");
    if (row.expiresAt <= nowMs) {
      throw new ApiError(
        ErrorCode.UNAUTHORIZED,
        "The connect session has expired; ask the application for a new one",
      );
    }
    return {
      expiresAt: row.expiresAt,
      sessionId: row.id,
      orgId: row.orgId,
      allowedProviders: row.allowedProviders ?? null,
      returnTo: row.returnTo,
      actor: `connect_session:${row.id}`,
    };
  }
}
