/**
 * Simulated Salesforce sessions: the authorization server's token answer (no `expires_in`; the
 * instance URL, identity URL and its HMAC signature), which instance each session belongs to,
 * and sessions that end before anyone expected, as when an admin logs users out, the session
 * timeout passes or the org moves to another instance. Such a session gets 401
 * INVALID_SESSION_ID from the REST API; a refresh issues a new one (on the org's current
 * instance).
 *
 * Control (no auth, sandbox only): `POST /sandbox/salesforce/_sessions`
 * `{"expire": "<access token>" | "all", "client_id"?: "...", "instance"?: "na2"}` expires that
 * session (or every session issued so far, of `client_id` when given) and, with `instance`, moves
 * the sessions issued from then on (of `client_id`, else of every client) to
 * `…/sandbox/salesforce/i/<instance>`. Answers `{"expired": n, "instance"}`.
 */
import { simulator } from "../../lib.ts";
import type { SimulatedOAuth, TokenBodyInput } from "../../oauth/types.ts";

interface Session {
  clientId: string;
  /** The instance it was issued on; null for the simulator's root. */
  instance: string | null;
  expired: boolean;
}

const SF_ORG = "00DSB0000000001EAA";
const sessions = new Map<string, Session>();
const SESSIONS_MAX = 20_000;
/** The instance new sessions are issued on, per client id ("" for every client). */
const instances = new Map<string, string>();

/**
 * The dataset account of the sessions a client's OAuth grants open: one org per client id, so a
 * refreshed session keeps the same data.
 */
export const clientAccount = (clientId: string): string => `${SF_ORG}~${clientId}`;

/** The dataset account of a session the token endpoint issued, if it issued this one. */
export const sessionAccount = (token: string): string | undefined =>
  sessions.has(token) ? clientAccount(sessions.get(token)?.clientId ?? "") : undefined;

/** Whether the REST API refuses this session on this instance (undefined: the root). */
export function sessionRefused(token: string, instance: string | undefined): boolean {
  const s = sessions.get(token);
  if (!s) return false;
  return s.expired || (s.instance ?? undefined) !== instance;
}

export const sessionControl = simulator();

sessionControl.post("/_sessions", async (c) => {
  const body = (await c.req.json().catch(() => ({}))) as Record<string, unknown>;
  const clientId = typeof body.client_id === "string" ? body.client_id : undefined;
  let expired = 0;
  if (typeof body.expire === "string" && body.expire) {
    for (const [token, s] of sessions) {
      const hit = body.expire === "all" ? !clientId || s.clientId === clientId : token === body.expire;
      if (hit && !s.expired) {
        s.expired = true;
        expired++;
      }
    }
  }
  const instance = typeof body.instance === "string" ? body.instance : undefined;
  if (instance !== undefined) {
    if (!/^[a-z0-9]{1,20}$/.test(instance))
      return c.json({ error: "instance must be a short name like na2" }, 400);
    instances.set(clientId ?? "", instance);
  }
  return c.json({ expired, instance: instances.get(clientId ?? "") ?? null });
});

const SF_USER = "005SB0000000001AAA";

/** Salesforce's token answer, and the session it opens on the client's current instance. */
async function salesforceToken({ c, grant, access, refresh, secret }: TokenBodyInput) {
  const origin = new URL(c.req.url).origin;
  const instance = instances.get(grant.clientId) ?? instances.get("") ?? null;
  if (sessions.size >= SESSIONS_MAX) sessions.delete(sessions.keys().next().value as string);
  sessions.set(access.token, { clientId: grant.clientId, instance, expired: false });
  const id = `${origin}/sandbox/salesforce/id/${SF_ORG}/${SF_USER}`;
  const issuedAt = String(Date.now());
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(id + issuedAt)));
  return {
    access_token: access.token,
    ...(refresh ? { refresh_token: refresh } : {}),
    instance_url: `${origin}/sandbox/salesforce${instance ? `/i/${instance}` : ""}`,
    id,
    token_type: "Bearer",
    issued_at: issuedAt,
    signature: btoa(String.fromCharCode(...mac)),
    scope: grant.scopes.join(" ") || "api refresh_token",
  };
}

/**
 * Salesforce's authorization server: `/services/oauth2/authorize`, `/token` (Basic or body) and
 * `/revoke`. A refresh token needs the `refresh_token` or `offline_access` scope (or no scope:
 * the app's defaults); it rotates only for a client id containing `rotate`, with no grace.
 */
export const salesforceOAuth: SimulatedOAuth = {
  id: "salesforce",
  name: "Salesforce",
  authorize: "/services/oauth2/authorize",
  scopeSeparator: /[\s+]+/,
  accessTtl: 7200,
  refresh: "rotate-if-client",
  grace: 0,
  offline: (_q, s) => s.length === 0 || s.includes("refresh_token") || s.includes("offline_access"),
  token: { path: "/services/oauth2/token", clientAuth: "either", body: salesforceToken },
  revoke: {
    path: "/services/oauth2/revoke",
    unknownToken: { error: "unsupported_token_type", error_description: "this token type is not supported" },
  },
};
