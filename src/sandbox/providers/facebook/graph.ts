/**
 * The Graph API behaviour the Facebook, Instagram and WhatsApp simulators share: the pinned
 * version path, the error body `{"error":{message,type,code,error_subcode,fbtrace_id}}`, token
 * checks (Bearer or `?access_token=`), JSON-or-form parameters, `fields=` selection, the
 * scenario failures as Graph answers them, and the Send API that Instagram reuses.
 */
import type { Context, Hono } from "hono";
import { field } from "../../../providers/runtime.ts";
import { deliver, hang, isInvalidCredential, scenario } from "../../lib.ts";

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
export function accessToken(c: Context): string | undefined {
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
