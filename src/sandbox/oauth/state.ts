/**
 * The simulated authorization servers' state, per isolate: pending authorization requests,
 * codes, grants, access and refresh tokens, per-client counters and per-client clocks.
 */
import type { Grant, SimulatedOAuth } from "./types.ts";

/** How long a short-lived client's tokens live, and Meta's long-lived tokens otherwise. */
const SHORT_TTL = 60;
const LONG_LIVED = 5_184_000;

export interface Pending {
  oauth: SimulatedOAuth;
  clientId: string;
  redirectUri: string;
  state?: string;
  scopes: string[];
  challenge?: string;
  offline: boolean;
  expiresAt: number;
}

export interface CodeRecord {
  oauth: SimulatedOAuth;
  clientId: string;
  redirectUri: string;
  challenge?: string;
  scopes: string[];
  offline: boolean;
  expiresAt: number;
  used: boolean;
  grantId?: string;
}

export interface AccessRecord {
  grantId: string;
  expiresAt: number;
  issuedAt: number;
  longLived: boolean;
}

export interface RefreshRecord {
  grantId: string;
  /** When it was replaced by a newer refresh token, if it was. */
  rotatedAt?: number;
  successor?: string;
  expiresAt?: number;
}

export const pendings = new Map<string, Pending>();
export const codes = new Map<string, CodeRecord>();
export const grants = new Map<string, Grant>();
export const accessTokens = new Map<string, AccessRecord>();
export const refreshTokens = new Map<string, RefreshRecord>();
export const stats = new Map<string, { token_requests: number; refresh_requests: number }>();
export const clockOffsets = new Map<string, number>();

export const hex = (bytes: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");

/** Seconds since the epoch on this client's (possibly advanced) clock. */
export const now = (clientId: string) => Math.floor(Date.now() / 1000) + (clockOffsets.get(clientId) ?? 0);

/** Counts a token request of a client (failed ones too). */
export function count(clientId: string | undefined, kind: "token_requests" | "refresh_requests") {
  if (!clientId) return;
  const s = stats.get(clientId) ?? { token_requests: 0, refresh_requests: 0 };
  s[kind]++;
  stats.set(clientId, s);
}

const accessTtl = (grant: Grant, longLived: boolean) =>
  /short/i.test(grant.clientId) ? SHORT_TTL : longLived ? LONG_LIVED : grant.oauth.accessTtl;

/** A new access token of a grant (`sbx_at_…`, which every API simulator accepts). */
export function issueAccess(grant: Grant, longLived = false): { token: string; expiresIn: number } {
  const token = `sbx_at_${hex(24)}`;
  const expiresIn = accessTtl(grant, longLived);
  const t = now(grant.clientId);
  accessTokens.set(token, { grantId: grant.id, issuedAt: t, expiresAt: t + expiresIn, longLived });
  return { token, expiresIn };
}

/** A new refresh token of a grant. */
export function issueRefresh(grant: Grant): string {
  const token = `sbx_rt_${hex(24)}`;
  const ttl = grant.oauth.refreshTtl;
  refreshTokens.set(token, {
    grantId: grant.id,
    expiresAt: ttl === undefined ? undefined : now(grant.clientId) + ttl,
  });
  return token;
}

/** The record and grant of an access token that is neither expired nor revoked. */
export function liveAccess(token: string | null | undefined): { record: AccessRecord; grant: Grant } | null {
  const record = token ? accessTokens.get(token) : undefined;
  const grant = record ? grants.get(record.grantId) : undefined;
  if (!record || !grant || grant.revoked || record.expiresAt <= now(grant.clientId)) return null;
  return { record, grant };
}

/** Revokes the grant behind a token (access or refresh); false when the token is unknown. */
export function revokeToken(token: string | undefined): boolean {
  if (!token) return false;
  const grantId = accessTokens.get(token)?.grantId ?? refreshTokens.get(token)?.grantId;
  const grant = grantId ? grants.get(grantId) : undefined;
  if (!grant) return false;
  grant.revoked = true;
  return true;
}
