/**
 * The API proxy: forwards a host app's request to an integration's provider API with the
 * integration's credentials injected (the provider's `authorize`, or a bearer token by auth
 * kind), passes the answer back, retries 429 and 5xx for idempotent methods honouring
 * Retry-After, refuses paths that would leave the provider's base URL, and logs every call
 * (method, path, status, latency) without secrets or query strings.
 */
import type { IntegrationRow } from "../db/schema.ts";
import { ApiError, ErrorCode } from "../errors.ts";
import { OutboundTimeout, withTimeout } from "../lib/outbound.ts";
import { MIN_SECRET_LENGTH, redactText, secretValues } from "../lib/redact.ts";
import { bearerHeader, oauthBearer } from "../providers/other/bearer.ts";
import { withHeaders } from "../providers/proxy-auth.ts";
import { isReadOnlyProxyCall } from "../providers/proxy-read-only.ts";
import { type ProviderContext, ProviderError, retryAfterSeconds } from "../providers/runtime.ts";
import type { Provider } from "../providers/types.ts";
import type { Activity } from "./activity.ts";
import type { Connections } from "./connections.ts";
import { type Integrations, providerOf } from "./integrations.ts";

/** Methods retried on 429 and 5xx (a retry cannot do a write twice). */
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);
/** Retries after the first attempt, and the longest wait before one. */
export const PROXY_RETRIES = 2;
export const PROXY_MAX_WAIT_SECONDS = 10;

/** Request headers a caller may pass on; never its Authorization (that is the hub's key). */
const FORWARD_REQUEST_HEADERS = [
  "accept",
  "accept-language",
  "content-type",
  "if-match",
  "if-none-match",
  "if-modified-since",
  "if-unmodified-since",
  "idempotency-key",
  "x-request-id",
];
/** Response headers passed back. */
const FORWARD_RESPONSE_HEADERS = [
  "content-type",
  "content-language",
  "retry-after",
  "etag",
  "last-modified",
  "link",
];
const FORWARD_RESPONSE_PREFIXES = ["x-ratelimit-", "x-rate-limit-", "ratelimit-"];

const SCHEME_RE = /^[a-z][a-z0-9+.-]*:/i;
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL_RE = /[\u0000-\u001f\u007f]/;

/**
 * Checks the path a caller asked for (raw, as it came in the URL, without the query) and returns
 * it with one leading slash. Refuses, at every level of percent-decoding, `.` and `..` segments,
 * empty segments (`//host`), backslashes, absolute URLs and control characters.
 */
export function checkProxyPath(raw: string): string {
  const refuse = (why: string) =>
    new ApiError(ErrorCode.BAD_REQUEST, `Proxy path refused: ${why}; give a path under the provider's API`);
  const path = raw.replace(/^\/+/, (m) => (m.length > 1 ? "//" : ""));
  let level = path;
  for (let i = 0; i < 4; i++) {
    if (level.includes("\\")) throw refuse("backslashes are not allowed");
    if (CONTROL_RE.test(level)) throw refuse("control characters are not allowed");
    if (SCHEME_RE.test(level) || level.startsWith("//")) throw refuse("absolute URLs are not allowed");
    const segments = level.split("/");
    if (segments.some((s) => s === "." || s === "..")) throw refuse("'.' and '..' segments are not allowed");
    if (segments.slice(0, -1).some((s) => s === "")) throw refuse("empty segments ('//') are not allowed");
    if (!/%[0-9a-f]{2}/i.test(level)) break;
    try {
      level = decodeURIComponent(level);
    } catch {
      throw refuse("malformed percent-encoding");
    }
    if (i === 3) throw refuse("too many levels of percent-encoding");
  }
  return `/${path}`;
}

/** The target URL: the caller's path and query under the base URL, which it must not leave. */
export function proxyTarget(baseUrl: string, path: string, search: string): URL {
  const base = new URL(baseUrl);
  const basePath = base.pathname.replace(/\/+$/, "");
  const url = new URL(`${base.origin}${basePath}${path}${search}`);
  if (url.origin !== base.origin || (url.pathname !== basePath && !url.pathname.startsWith(`${basePath}/`))) {
    throw new ApiError(ErrorCode.BAD_REQUEST, "Proxy path refused: it leaves the provider's API");
  }
  return url;
}

/** Adds the credentials: the provider's own way, or a bearer token by auth kind. */
function authorizer(provider: Provider): (ctx: ProviderContext, req: Request) => Promise<Request> {
  if (provider.authorize) return provider.authorize;
  if (provider.authKind === "bearer")
    return (ctx, req) => withHeaders(req, bearerHeader(ctx, provider.tokenField));
  if (provider.authKind === "oauth2") return (ctx, req) => withHeaders(req, oauthBearer(ctx));
  throw new ApiError(
    ErrorCode.BAD_REQUEST,
    `The API proxy is not available for this provider (${provider.displayName} authenticates with ${provider.authKind})`,
  );
}

export interface ProxyRequest {
  method: string;
  /** The raw path after `/proxy`, without the query string. */
  path: string;
  /** `?...` or "". */
  search: string;
  headers: Headers;
  body?: ArrayBuffer;
  /** The caller's key is read-only (`member`): only the provider's declared read-only calls pass. */
  readOnly?: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The answer passed back to the caller. */
export interface ProxyResult {
  response: Response;
  attempts: number;
}

/** A JSON error answer in the API's error shape for when the provider gives none (502, 504). */
function gatewayError(
  status: 429 | 502 | 504,
  code: string,
  message: string,
  requestId: string,
  headers?: Record<string, string>,
) {
  return Response.json({ error: message, code, request_id: requestId }, { status, headers });
}

export class ApiProxy {
  constructor(
    private readonly activity: Activity,
    private readonly integrations: Integrations,
    private readonly connections: Connections,
    private readonly requestId: string,
  ) {}

  async forward(orgId: string, id: string, req: ProxyRequest): Promise<ProxyResult> {
    const row = await this.integrations.get(orgId, id);
    const provider = providerOf(row);
    const path = checkProxyPath(req.path);
    const authorize = authorizer(provider);
    if (req.readOnly && !isReadOnlyProxyCall(provider.proxyReadOnly, req.method, path, req.search)) {
      throw new ApiError(
        ErrorCode.FORBIDDEN,
        provider.proxyReadOnly?.length
          ? `This API key is read-only (role member): ${req.method.toUpperCase()} ${path.slice(0, 200)} is not one of ${provider.displayName}'s read-only calls; it needs an admin key`
          : `This API key is read-only (role member): ${provider.displayName} declares no read-only calls, so the proxy needs an admin key`,
      );
    }
    if (row.disconnectedAt || !row.isActive) {
      throw new ApiError(
        ErrorCode.CONFLICT,
        row.disconnectedAt
          ? "The integration is disconnected; connect it again before calling its API"
          : "The integration is inactive; activate it before calling its API",
      );
    }
    let ctx: ProviderContext;
    try {
      ctx = await this.connections.contextFor(row);
    } catch (e) {
      if (e instanceof ProviderError)
        throw new ApiError(ErrorCode.CONFLICT, `Cannot call the provider: ${e.message}`);
      throw e;
    }
    if (!ctx.baseUrl)
      throw new ApiError(ErrorCode.CONFLICT, "The integration has no API base URL configured");
    let url = proxyTarget(ctx.baseUrl, path, req.search);
    const headers = new Headers();
    for (const name of FORWARD_REQUEST_HEADERS) {
      const v = req.headers.get(name);
      if (v !== null) headers.set(name, v);
    }
    headers.set("user-agent", "Switchboard/0.1 (proxy)");
    const method = req.method.toUpperCase();
    const body = method === "GET" || method === "HEAD" ? undefined : req.body;

    const started = Date.now();
    let attempts = 0;
    let renewed = false;
    let response: Response;
    for (;;) {
      // The hub's own budget first, outside the provider's timeout: spent, the answer is 429
      // with Retry-After at once, with no provider call and no wait (a retry stops there too).
      const refused = await this.pace(ctx);
      if (refused) {
        response = refused;
        break;
      }
      attempts++;
      let signed: Request;
      try {
        signed = await authorize(ctx, new Request(url, { method, headers, body: body?.slice(0) }));
      } catch (e) {
        if (e instanceof ProviderError)
          throw new ApiError(ErrorCode.CONFLICT, `Cannot call the provider: ${e.message}`);
        throw e;
      }
      response = await this.attempt(ctx, signed);
      // The session ended (Salesforce's 401 INVALID_SESSION_ID): refresh once and call again.
      if (!renewed && response.status === 401 && provider.sessionExpired) {
        renewed = true;
        const next = await this.renewAfter(row, response, provider);
        if (next) {
          await response.body?.cancel();
          ctx = next;
          url = proxyTarget(ctx.baseUrl, path, req.search);
          continue;
        }
      }
      const retryable =
        IDEMPOTENT.has(method) &&
        (response.status === 429 || response.status >= 500) &&
        attempts <= PROXY_RETRIES;
      if (!retryable) break;
      const wait = retryAfterSeconds(response.headers.get("retry-after"));
      if (wait !== undefined && wait > PROXY_MAX_WAIT_SECONDS) break;
      await response.body?.cancel();
      await sleep(wait !== undefined ? wait * 1000 : 250 * 2 ** (attempts - 1));
    }
    const result = await this.passBack(response, ctx, attempts);
    await this.log(row, method, path.slice(0, 300), result.response.status, Date.now() - started, attempts);
    return result;
  }

  /**
   * The context with a refreshed token when a 401 answer says the session ended; null when it
   * says something else or the refresh fails (the 401 then goes back as it came).
   */
  private async renewAfter(
    row: IntegrationRow,
    response: Response,
    provider: Provider,
  ): Promise<ProviderContext | null> {
    const body: unknown = await response
      .clone()
      .json()
      .catch(() => undefined);
    if (!provider.sessionExpired?.({ status: response.status, body })) return null;
    try {
      return await this.connections.renewedContext(row);
    } catch (e) {
      if (e instanceof ProviderError) return null;
      throw e;
    }
  }

  /** Takes the call from the account's budget; a 429 answer when the budget is spent. */
  private async pace(ctx: ProviderContext): Promise<Response | undefined> {
    try {
      await ctx.pace?.();
      return undefined;
    } catch (e) {
      if (!(e instanceof ProviderError && e.kind === "rate_limited")) throw e;
      return gatewayError(429, "RATE_LIMITED", `Not sent: ${e.message}`, this.requestId, {
        "retry-after": String(e.opts.retryAfterSeconds ?? 1),
      });
    }
  }

  /**
   * One call with the context's timeout, which counts only the provider's time (pacing is done
   * before) and aborts the request when it runs out; a timeout is 504, a network failure 502.
   */
  private async attempt(ctx: ProviderContext, request: Request): Promise<Response> {
    try {
      return await withTimeout(ctx.timeoutMs, (signal) => ctx.http(new Request(request, { signal })));
    } catch (e) {
      if (e instanceof OutboundTimeout)
        return gatewayError(
          504,
          "PROVIDER_TIMEOUT",
          `The provider did not answer within ${ctx.timeoutMs} ms`,
          this.requestId,
        );
      return gatewayError(502, "PROVIDER_UNREACHABLE", "Could not reach the provider", this.requestId);
    }
  }

  /**
   * The provider's status, body and safe headers. Text bodies are scrubbed of the integration's
   * secret values in their usual encodings (Twilio's Account resource, for one, carries the
   * auth token), by the one redactor.
   */
  private async passBack(res: Response, ctx: ProviderContext, attempts: number): Promise<ProxyResult> {
    const headers = new Headers();
    for (const [name, value] of res.headers) {
      if (
        FORWARD_RESPONSE_HEADERS.includes(name) ||
        FORWARD_RESPONSE_PREFIXES.some((p) => name.startsWith(p))
      )
        headers.set(name, value);
    }
    headers.set("X-Switchboard-Proxy-Attempts", String(attempts));
    const type = res.headers.get("content-type") ?? "";
    const secrets = secretValues(ctx.secrets).filter((s) => s.length >= MIN_SECRET_LENGTH);
    let body: BodyInit | null = res.body;
    if (res.body && secrets.length > 0 && (type === "" || /json|text|xml|javascript|html/i.test(type))) {
      // The integration's own secrets only: other token-shaped data in an answer (a page's
      // access token the tenant asked Graph for) is the tenant's to read.
      body = redactText(await res.text(), secrets, { shapes: false });
    }
    if (res.status === 204 || res.status === 205 || res.status === 304) body = null;
    return { response: new Response(body, { status: res.status, headers }), attempts };
  }

  private async log(
    row: IntegrationRow,
    method: string,
    path: string,
    status: number,
    latencyMs: number,
    attempts: number,
  ) {
    await this.activity.log({
      orgId: row.orgId,
      integrationId: row.id,
      level: status >= 500 ? "error" : status >= 400 ? "warn" : "info",
      action: "proxy",
      message: `Proxy ${method} ${path} → ${status} (${latencyMs} ms${attempts > 1 ? `, ${attempts} attempts` : ""})`,
      details: { method, path, status, latency_ms: latencyMs, attempts },
    });
  }
}
