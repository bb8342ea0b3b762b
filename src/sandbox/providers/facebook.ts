/**
 * Simulated Meta Graph API for a Facebook Page: `GET /{version}/me` and the Messenger Send API
 * `POST /{version}/{page-id|me}/messages`. It also holds the Graph behaviour the Instagram and
 * WhatsApp simulators share: the error body `{"error":{message,type,code,error_subcode,
 * fbtrace_id}}`, token checks (Bearer or `?access_token=`), JSON-or-form parameters, the scenario
 * failures as Graph answers them, and the Send API that Instagram reuses.
 *
 * Stricter than Graph in one respect: paths must pin a version (`/v25.0/...`), as providers.md §1
 * requires of callers; an unversioned path gets Graph's "Unknown path components" error.
 */
import type { Context, Hono } from "hono";
import { field } from "../../providers/runtime.ts";
import { deliver, hang, isInvalidCredential, scenario, simulator } from "../lib.ts";
import { OAuthError, redeemCode, requestParams } from "../oauth/server.ts";
import { count, hex, issueAccess, liveAccess, revokeToken } from "../oauth/state.ts";
import type { SimulatedOAuth } from "../oauth/types.ts";

export const facebook = simulator();

/** A pinned Graph version path segment, e.g. `v25.0`. */
export const VERSION = ":version{v[0-9]+\\.[0-9]+}";

export interface GraphErrorSpec {
  message: string;
  code: number;
  type?: string;
  error_subcode?: number;
  error_data?: Record<string, unknown>;
  is_transient?: boolean;
}

/** Random base64url characters, for trace and message ids. */
export function randomToken(bytes: number): string {
  const raw = String.fromCharCode(...crypto.getRandomValues(new Uint8Array(bytes)));
  return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Graph's error response. */
export function graphError(status: number, spec: GraphErrorSpec, headers?: HeadersInit): Response {
  const error = { type: "OAuthException", ...spec, fbtrace_id: randomToken(8) };
  return Response.json({ error }, { status, headers });
}

/** `(#100) ...`: Graph's invalid-parameter error. */
export const invalidParam = (message: string, extra: Partial<GraphErrorSpec> = {}) =>
  graphError(400, { message: `(#100) ${message}`, code: 100, ...extra });

/** The Graph object a request names does not exist (or the token cannot see it). */
export function unknownObject(method: string, id: string): Response {
  return graphError(400, {
    message: `Unsupported ${method.toLowerCase()} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
    type: "GraphMethodException",
    code: 100,
    error_subcode: 33,
  });
}

// Page, user and system-user tokens are letters and digits (EAA...), app tokens `app-id|secret`.
const TOKEN_RE = /^[A-Za-z0-9|_.-]{8,}$/;

/** The token of a request: `Authorization: Bearer` (or Graph's legacy `OAuth` scheme), or `?access_token=`. */
function accessToken(c: Context): string | undefined {
  const m = (c.req.header("authorization") ?? "").match(/^(?:Bearer|OAuth)\s+(\S+)$/i);
  return m?.[1] ?? c.req.query("access_token") ?? undefined;
}

/**
 * Graph's answer to a request without a usable token, or null when the token is good.
 * - No token (another auth scheme counts as none): 400, code 2500 on `me`, 104 elsewhere.
 * - A malformed token, or one containing "invalid": code 190 with `tokenStatus` (400 on Graph;
 *   WhatsApp's error table lists 401) and Graph's WWW-Authenticate header.
 */
export function rejectAuth(c: Context, node: string, tokenStatus = 400): Response | null {
  const token = accessToken(c);
  if (!token) {
    return node === "me"
      ? graphError(400, {
          message: "An active access token must be used to query information about the current user.",
          code: 2500,
        })
      : graphError(400, { message: "An access token is required to request this resource.", code: 104 });
  }
  if (TOKEN_RE.test(token) && !isInvalidCredential(token)) return null;
  const message = "Invalid OAuth access token - Cannot parse access token";
  return graphError(
    tokenStatus,
    { message, code: 190 },
    {
      "www-authenticate": `OAuth "Facebook Platform" "invalid_token" "${message}"`,
    },
  );
}

/**
 * The parameters of a Graph POST: a JSON body, or a form whose object-valued parameters are JSON
 * strings (Graph reads both). Any other body carries no parameters, so the required-parameter
 * errors follow.
 */
export async function graphParams(c: Context): Promise<Record<string, unknown>> {
  const type = c.req.header("content-type") ?? "";
  const text = await c.req.text();
  if (type.startsWith("application/json")) {
    try {
      const body = JSON.parse(text);
      return body && typeof body === "object" && !Array.isArray(body) ? body : {};
    } catch {
      return {};
    }
  }
  if (!type.startsWith("application/x-www-form-urlencoded")) return {};
  const params: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(text)) {
    try {
      params[k] = /^\s*[[{]/.test(v) ? JSON.parse(v) : v;
    } catch {
      params[k] = v;
    }
  }
  return params;
}

/** `fields=a,b` applied to an object (Graph always includes `id`); all of it when absent. */
export function pick(c: Context, object: Record<string, unknown>): Record<string, unknown> {
  const fields = c.req.query("fields");
  if (!fields) return object;
  const wanted = new Set([...fields.split(",").map((f) => f.trim()), "id"]);
  return Object.fromEntries(Object.entries(object).filter(([k]) => wanted.has(k)));
}

/** X-Business-Use-Case-Usage as Meta sends it with throttling errors (regain access in 1 minute). */
export function usageHeader(type: string): HeadersInit {
  const usage = [
    { type, call_count: 100, total_cputime: 12, total_time: 15, estimated_time_to_regain_access: 1 },
  ];
  return { "x-business-use-case-usage": JSON.stringify({ "100000000000001": usage }) };
}

/** The provider-specific answers to `[sandbox:429]` and `[sandbox:400]`. */
export interface GraphFailures {
  rateLimit: () => Response;
  rejection: () => Response;
}

/**
 * The failure a message's scenario trigger asks for, as Graph answers it, or null to accept it
 * (`[sandbox:timeout]` waits past the client's timeout first).
 */
export async function graphScenario(
  provider: string,
  failures: GraphFailures,
  ...parts: (string | undefined)[]
): Promise<Response | null> {
  switch (scenario(provider, ...parts)) {
    case "429":
      return failures.rateLimit();
    case "503":
      return graphError(503, {
        message: "An unexpected error has occurred. Please retry your request later.",
        code: 2,
        is_transient: true,
      });
    case "500":
      return graphError(500, { message: "An unknown error has occurred.", code: 1, is_transient: false });
    case "400":
      return failures.rejection();
    case "timeout":
      await hang();
      return null;
    default:
      return null;
  }
}

/** Answers every path a simulator does not define the way Graph answers an unknown path. */
export function unknownPaths(sim: Hono<{ Bindings: Env }>, provider: string) {
  sim.all("*", (c) => {
    const path = c.req.path.replace(new RegExp(`^(/sandbox)?/${provider}(?=/|$)`), "") || "/";
    return graphError(400, { message: `Unknown path components: ${path}`, code: 2500 });
  });
}

/** What differs between the Messenger and Instagram Send APIs. */
export interface SendApiRules {
  provider: string;
  /** Longest text accepted, in the provider's unit (`textLength`). */
  maxText: number;
  textLength: (text: string) => number;
  /** Messenger requires `messaging_type`; Instagram does not take it. */
  requireMessagingType: boolean;
  failures: GraphFailures;
  newMessageId: () => string;
}

const MESSAGING_TYPES = ["RESPONSE", "UPDATE", "MESSAGE_TAG"];

/**
 * Why a Send API request is refused, or null. The recipient wordings are Graph's; those for
 * messaging_type, a missing message, empty text and text length are UNCONFIRMED (code 100 is).
 */
function sendApiProblem(p: Record<string, unknown>, rules: SendApiRules): Response | null {
  if (p.recipient === undefined || p.recipient === "")
    return invalidParam("The parameter recipient is required");
  const id = field(p.recipient, "id");
  if (!(typeof id === "string" && /^\d+$/.test(id)) && typeof id !== "number")
    return invalidParam('Param recipient[id] must be a valid ID string (e.g., "123")');
  if (rules.requireMessagingType && !MESSAGING_TYPES.includes(String(p.messaging_type)))
    return invalidParam(`Param messaging_type must be one of {${MESSAGING_TYPES.join(", ")}}`);
  if (p.message === undefined) return invalidParam("Must send either message or sender_action");
  const text = field(p.message, "text");
  // The hub sends text only, so the simulator takes only text (no attachments).
  if (typeof text !== "string" || !text)
    return invalidParam("Param message[text] must be a non-empty UTF-8 encoded string");
  if (rules.textLength(text) > rules.maxText)
    return invalidParam(`Length of param message[text] must be less than or equal to ${rules.maxText}`);
  return null;
}

/** The Send API (`POST /{version}/{node}/messages`): validates, records the send, answers its ids. */
export function sendApi(rules: SendApiRules) {
  return async (c: Context) => {
    const node = c.req.param("node") ?? "me";
    if (node !== "me" && !/^\d+$/.test(node))
      return graphError(400, {
        message: `(#803) Some of the aliases you requested do not exist: ${node}`,
        code: 803,
      });
    const denied = rejectAuth(c, node);
    if (denied) return denied;
    const params = await graphParams(c);
    const problem = sendApiProblem(params, rules);
    if (problem) return problem;
    const recipientId = String(field(params.recipient, "id"));
    const failure = await graphScenario(
      rules.provider,
      rules.failures,
      recipientId,
      String(field(params.message, "text")),
    );
    if (failure) return failure;
    const messageId = rules.newMessageId();
    deliver(rules.provider, "message", recipientId, params, messageId);
    return Response.json({ recipient_id: recipientId, message_id: messageId });
  };
}

// The Page a Page access token stands for.
const PAGE = { id: "100000000000001", name: "Sandbox Page" };

facebook.get(`/${VERSION}/me`, (c) => rejectAuth(c, "me") ?? Response.json(pick(c, PAGE)));

facebook.post(
  `/${VERSION}/:node/messages`,
  sendApi({
    provider: "facebook",
    maxText: 2000,
    textLength: (text) => text.length,
    requireMessagingType: true,
    failures: {
      rateLimit: () =>
        graphError(
          400,
          { message: "(#613) Calls to this api have exceeded the rate limit.", code: 613 },
          usageHeader("messenger"),
        ),
      rejection: () => invalidParam("No matching user found", { error_subcode: 2018001 }),
    },
    newMessageId: () => `m_${randomToken(48)}`,
  }),
);

// The Pages a user token manages (`GET /me/accounts`), each with its Page token.
facebook.get(`/${VERSION}/me/accounts`, (c) => {
  const denied = rejectAuth(c, "me");
  if (denied) return denied;
  return Response.json({
    data: [
      {
        id: PAGE.id,
        name: PAGE.name,
        category: "Software",
        access_token: `EAAGsbxPage${randomToken(24).replace(/[^A-Za-z0-9]/g, "")}`,
        tasks: ["ADVERTISE", "ANALYZE", "CREATE_CONTENT", "MESSAGING", "MODERATE", "MANAGE"],
      },
    ],
    paging: { cursors: { before: "QVFIU", after: "QVFIU" } },
  });
});

// Lead Ads leads (`GET /{leadgen-id}`): answers derived from the id, so a lead always reads
// the same. A lead id ending in 0503 fails its first read with a transient 503.
const leadReads = new Map<string, number>();
facebook.get(`/${VERSION}/:node{[0-9]+}`, (c) => {
  const id = c.req.param("node");
  const denied = rejectAuth(c, id);
  if (denied) return denied;
  if (id === PAGE.id) return Response.json(pick(c, PAGE));
  const reads = (leadReads.get(id) ?? 0) + 1;
  leadReads.set(id, reads);
  if (id.endsWith("0503") && reads === 1)
    return graphError(503, {
      message: "An unexpected error has occurred. Please retry your request later.",
      code: 2,
      is_transient: true,
    });
  const tail = id.slice(-4);
  return Response.json(
    pick(c, {
      id,
      created_time: new Date().toISOString().replace(/\.\d+Z$/, "+0000"),
      form_id: "200000000000001",
      ad_id: "300000000000001",
      field_data: [
        { name: "full_name", values: [`Sandbox Lead ${tail}`] },
        { name: "email", values: [`lead-${id}@example.com`] },
        { name: "phone_number", values: [`+1555010${tail}`] },
        { name: "company_name", values: ["Sandbox Co"] },
      ],
    }),
  );
});

unknownPaths(facebook, "facebook");

// ---- Facebook Login ---------------------------------------------------------------------------

/** Graph's OAuth errors, as its token endpoints answer them. */
export const oauthGraphError = (
  message: string,
  code: number,
  extra: Record<string, unknown> = {},
  status = 400,
) =>
  Response.json(
    { error: { message, type: "OAuthException", code, ...extra, fbtrace_id: `A${hex(10)}` } },
    { status },
  );

async function facebookToken(c: Context) {
  const p = await requestParams(c);
  const exchange = p.grant_type === "fb_exchange_token";
  count(p.client_id, exchange ? "refresh_requests" : "token_requests");
  if (!p.client_id || isInvalidCredential(p.client_id)) {
    return oauthGraphError("Error validating application. Invalid application ID.", 101);
  }
  if (isInvalidCredential(p.client_secret)) return oauthGraphError("Error validating client secret.", 1);
  if (exchange) {
    const live = liveAccess(p.fb_exchange_token);
    if (live?.grant.oauth !== facebookOAuth || live.grant.clientId !== p.client_id) {
      return oauthGraphError("Invalid OAuth access token - Cannot parse access token", 190);
    }
    const access = issueAccess(live.grant, true);
    return c.json({ access_token: access.token, token_type: "bearer", expires_in: access.expiresIn });
  }
  if (!p.redirect_uri) return oauthGraphError("Missing redirect_uri parameter.", 191);
  try {
    const grant = await redeemCode(facebookOAuth, p, p.client_id);
    const access = issueAccess(grant);
    return c.json({ access_token: access.token, token_type: "bearer", expires_in: access.expiresIn });
  } catch (e) {
    if (!(e instanceof OAuthError)) throw e;
    return oauthGraphError(
      /used/.test(e.description) ? "This authorization code has been used." : e.description,
      100,
      {
        error_subcode: 36009,
      },
    );
  }
}

/**
 * Facebook Login: `/{v}/dialog/oauth`, `GET or POST /{v}/oauth/access_token` (the code exchange,
 * and `fb_exchange_token` for a long-lived token), `DELETE /{v}/me/permissions`. No refresh
 * tokens.
 */
export const facebookOAuth: SimulatedOAuth = {
  id: "facebook",
  name: "Facebook",
  authorize: `/${VERSION}/dialog/oauth`,
  scopeSeparator: /[\s,]+/,
  accessTtl: 3600,
  refresh: "never",
  grace: 0,
  offline: () => false,
  denied: {
    error: "access_denied",
    error_code: "200",
    error_description: "Permissions error",
    error_reason: "user_denied",
  },
  routes(app) {
    // Graph takes the exchange as a GET with query parameters or as a form POST.
    app.on(["GET", "POST"], `/${VERSION}/oauth/access_token`, facebookToken);
    app.delete(`/${VERSION}/me/permissions`, (c) => {
      const token =
        (c.req.header("authorization") ?? "").match(/^(?:Bearer|OAuth)\s+(\S+)$/i)?.[1] ??
        c.req.query("access_token");
      if (!liveAccess(token))
        return oauthGraphError("Invalid OAuth access token - Cannot parse access token", 190);
      revokeToken(token);
      return c.json({ success: true });
    });
  },
};
