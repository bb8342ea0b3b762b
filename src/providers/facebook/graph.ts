/**
 * Meta Graph API calls shared by Facebook Messenger, Instagram and the WhatsApp Cloud API: the
 * pinned API version, bearer auth with the integration's access token, and Meta's error body
 * `{"error":{"message","type","code","error_subcode","error_data","is_transient","fbtrace_id"}}`
 * classified by `error.code`, because the HTTP status is not reliable (providers.md §1: an expired
 * token is usually 400 but 401 on WhatsApp; most throttles are 400, WhatsApp's are 429).
 */
import {
  field,
  kindForStatus,
  type ProviderContext,
  ProviderError,
  type ProviderErrorKind,
  type ProviderResponse,
  request,
  retryAfterSeconds,
  secret,
} from "../runtime.ts";

/** The Graph API version every Meta call pins in its path (providers.md §1: always pin it). */
export const GRAPH_VERSION = "v25.0";

/** Names the provider in error messages ("Facebook: ..."). */
export type GraphLabel = "Facebook" | "Instagram" | "WhatsApp";

export interface GraphCall {
  method?: "GET" | "POST";
  /** The path after the version, e.g. `/me` or `/{phone-number-id}/messages`. */
  path: string;
  query?: Record<string, string>;
  json?: unknown;
}

/**
 * One Graph call with `Authorization: Bearer <access_token>`; answers the 2xx response and
 * throws a classified ProviderError for anything else.
 */
export async function graph(
  ctx: ProviderContext,
  label: GraphLabel,
  call: GraphCall,
): Promise<ProviderResponse> {
  const res = await request(ctx, {
    method: call.method ?? "GET",
    path: `/${GRAPH_VERSION}${call.path}`,
    query: call.query,
    json: call.json,
    headers: { authorization: `Bearer ${secret(ctx, "access_token")}` },
  });
  if (res.status < 200 || res.status >= 300 || field(res.data, "error") !== undefined) {
    throw graphFailure(res, label);
  }
  return res;
}

/** A Graph node id (page, phone number) as a path segment. */
export const node = (id: string): string => `/${encodeURIComponent(id)}`;

/** A string field of a successful answer, or a permanent error (never retried: it may have been sent). */
export function answerField(res: ProviderResponse, label: GraphLabel, ...path: string[]): string {
  const cur = field(res.data, ...path);
  if (typeof cur === "string" && cur) return cur;
  if (typeof cur === "number") return String(cur);
  throw new ProviderError("permanent", `${label}: unexpected answer without ${path.join(".")}`, {
    status: res.status,
  });
}

/**
 * Meta's throttling codes: 4 (app), 17 (user), 32 (Page), 613 (call rate), 80001–80014 (Business
 * Use Case, e.g. 80006 Messenger, 80007 WhatsApp), and WhatsApp's 130429 (throughput) and 131056
 * (pair rate limit).
 */
function isThrottle(code: number): boolean {
  return [4, 17, 32, 613, 130429, 131056].includes(code) || (code >= 80001 && code <= 80014);
}

/**
 * The kind of a Graph error from its code, falling back to the HTTP status:
 * - 190 (invalid or expired token), 102 (session), 0 (WhatsApp AuthException) and the 200–299
 *   permission range (the token lacks a permission) → `auth`;
 * - throttling codes → `rate_limited`;
 * - 1 (unknown error), 2 (service unavailable), WhatsApp's 131000 (something went wrong), or
 *   `is_transient: true` → `transient`.
 * Everything else, e.g. 100 (invalid parameter) or 10 (outside the messaging window), is permanent
 * unless the status says 429 or 5xx.
 */
export function graphErrorKind(
  code: number | undefined,
  status: number,
  isTransient = false,
): ProviderErrorKind {
  if (code === undefined) return kindForStatus(status);
  if (code === 190 || code === 102 || code === 0 || (code >= 200 && code <= 299)) return "auth";
  if (isThrottle(code) || status === 429) return "rate_limited";
  if (isTransient || code === 1 || code === 2 || code === 131000 || status >= 500) return "transient";
  return "permanent";
}

/**
 * Seconds until access is regained: Retry-After if present, else the largest
 * `estimated_time_to_regain_access` (minutes) in X-Business-Use-Case-Usage, else unknown.
 */
export function regainAccessSeconds(headers: Headers): number | undefined {
  const retryAfter = retryAfterSeconds(headers.get("retry-after"));
  if (retryAfter !== undefined) return retryAfter;
  let usage: unknown;
  try {
    usage = JSON.parse(headers.get("x-business-use-case-usage") ?? "null");
  } catch {
    return undefined;
  }
  if (!usage || typeof usage !== "object") return undefined;
  const minutes = Object.values(usage)
    .flatMap((entries) => (Array.isArray(entries) ? entries : []))
    .map((entry) => Number(field(entry, "estimated_time_to_regain_access")))
    .filter((m) => Number.isFinite(m) && m > 0);
  return minutes.length ? Math.max(...minutes) * 60 : undefined;
}

/** The ProviderError for a failed Graph call, with Meta's own message, code and details. */
export function graphFailure(res: ProviderResponse, label: GraphLabel): ProviderError {
  const error = field(res.data, "error");
  const code = field(error, "code");
  const numericCode = typeof code === "number" ? code : undefined;
  const message = field(error, "message");
  const details = field(error, "error_data", "details");
  let reason = typeof message === "string" && message ? message : "unexpected answer";
  if (typeof details === "string" && details && details !== reason) reason += `: ${details}`;
  const where = numericCode === undefined ? `HTTP ${res.status}` : `code ${numericCode}, HTTP ${res.status}`;
  const kind = graphErrorKind(numericCode, res.status, field(error, "is_transient") === true);
  return new ProviderError(kind, `${label}: ${reason} (${where})`, {
    status: res.status,
    code: numericCode,
    retryAfterSeconds: kind === "rate_limited" ? regainAccessSeconds(res.headers) : undefined,
  });
}
