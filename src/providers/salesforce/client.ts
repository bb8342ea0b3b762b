/**
 * Salesforce REST API calls against the org's instance URL: test connection reads the org's
 * limits (`GET /services/data/vXX.X/limits`) with the OAuth access token as a Bearer token.
 */
import { oauthBearer } from "../other/bearer.ts";
import {
  errorFrom,
  field,
  type ProviderContext,
  ProviderError,
  type ProviderResponse,
  request,
  type TestResult,
} from "../runtime.ts";

/** The login host: the provider's default base URL (the OAuth flow starts here). */
export const LOGIN_URL = "https://login.salesforce.com";

/** The REST API version every call is pinned to. */
export const API_VERSION = "v62.0";

/** Hosts an instance URL may have (My Domain, classic instances, Government Cloud). */
const INSTANCE_HOST_RE = /\.(salesforce\.com|force\.com|cloudforce\.com|salesforce\.mil)$/;

/**
 * Where API calls go. The default base URL is only the login host, so calls go to the
 * integration's `instance_url` (from the token response of the connection and of each refresh)
 * instead. Under a deployment override or the sandbox, the instance URL is used when it lies
 * under that base URL (the sandbox's instances), else the base URL itself.
 */
export function apiBase(ctx: ProviderContext): ProviderContext {
  const base = ctx.baseUrl.replace(/\/+$/, "");
  const raw = ctx.config.instance_url;
  if (base !== LOGIN_URL) {
    const instance = typeof raw === "string" ? raw.replace(/\/+$/, "") : "";
    return instance && (instance === base || instance.startsWith(`${base}/`))
      ? { ...ctx, baseUrl: instance }
      : ctx;
  }
  if (typeof raw !== "string" || !raw) {
    throw new ProviderError(
      "permanent",
      "the integration has no instance_url yet (connect it through OAuth)",
    );
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ProviderError("permanent", "the instance_url is not a URL");
  }
  // The token goes to this host, so it must be Salesforce's.
  if (url.protocol !== "https:" || !INSTANCE_HOST_RE.test(url.hostname)) {
    throw new ProviderError(
      "permanent",
      "the instance_url must be an https:// Salesforce host (*.salesforce.com)",
    );
  }
  return { ...ctx, baseUrl: url.origin };
}

/** The `errorCode` of a Salesforce error answer `[{message, errorCode}]`. */
export function errorCode(body: unknown): unknown {
  return field(Array.isArray(body) ? body[0] : body, "errorCode");
}

/**
 * A session that ended before anyone knew (Salesforce gives no expiry: an admin's logout, the
 * session timeout, a moved org): 401 INVALID_SESSION_ID. The hub refreshes and retries once.
 */
export const sessionExpired = (a: { status?: number; code?: string | number; body?: unknown }): boolean =>
  a.status === 401 && (a.code === "INVALID_SESSION_ID" || errorCode(a.body) === "INVALID_SESSION_ID");

/**
 * Salesforce answers errors as `[{message, errorCode}]`. INVALID_SESSION_ID (401) is a refused
 * token; REQUEST_LIMIT_EXCEEDED comes as a 403 but means the daily allocation is used up.
 */
export function failure(res: ProviderResponse): ProviderError {
  const first = Array.isArray(res.data) ? res.data[0] : res.data;
  const message = String(field(first, "message") ?? "unexpected answer");
  const code = errorCode(res.data);
  const kind = code === "REQUEST_LIMIT_EXCEEDED" ? "rate_limited" : undefined;
  const err = errorFrom(res, `Salesforce: ${message}`, kind);
  return new ProviderError(err.kind, err.message, {
    ...err.opts,
    ...(typeof code === "string" ? { code } : {}),
    ...(kind && err.opts.retryAfterSeconds === undefined ? { retryAfterSeconds: 3600 } : {}),
  });
}

export async function test(ctx: ProviderContext): Promise<TestResult> {
  const api = apiBase(ctx);
  const res = await request(api, { path: `/services/data/${API_VERSION}/limits`, headers: oauthBearer(ctx) });
  if (res.status !== 200) throw failure(res);
  const max = field(res.data, "DailyApiRequests", "Max");
  const remaining = field(res.data, "DailyApiRequests", "Remaining");
  return {
    message: `Connected to Salesforce: ${String(remaining)} of ${String(max)} daily API requests left`,
    details: { instance_url: api.baseUrl, daily_api_requests: { max, remaining } },
  };
}
