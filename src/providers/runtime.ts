/**
 * What provider modules use at run time: the context a call gets (base URL, settings, secrets,
 * an HTTP client), the message shape, typed provider errors that say whether to retry, and a
 * small request helper. Provider modules only see a base URL and this client; whether it leads
 * to the real provider or to the sandbox is decided where the client is built.
 */
import { toBase64, utf8 } from "../crypto/encoding.ts";
import {
  OutboundRefused,
  OutboundTimeout,
  OutboundUnreachable,
  type SocketOpener,
  withTimeout,
} from "../lib/outbound.ts";
import { redactTokens } from "../lib/redact.ts";

/** Makes one HTTP request; never throws for an HTTP status, only for network failures. */
export type HttpClient = (request: Request) => Promise<Response>;

export interface ProviderContext {
  /** The provider's API base (sandbox, deployment override, integration's own, or default). */
  baseUrl: string;
  /** Non-secret settings of the integration. */
  config: Record<string, unknown>;
  /** Decrypted secret fields of the integration. Never log or echo them. */
  secrets: Record<string, string>;
  http: HttpClient;
  /**
   * Takes this call from the account's request budget (pacing) before it is sent; throws a
   * rate_limited ProviderError with Retry-After when the budget is spent, and never waits.
   * `send()` and the proxy call it before their timeout starts.
   */
  pace?: () => Promise<void>;
  /** Opens TCP sockets (SMTP) through the hub's guarded outbound path (src/lib/outbound.ts). */
  connect?: SocketOpener;
  /** Per-request timeout: the provider's own time, from the moment the request goes out. */
  timeoutMs: number;
  /**
   * The hub's URL for this integration's webhooks (`{PUBLIC_URL}/webhooks/{provider}/{id}`), for
   * per-message callbacks (Twilio's `StatusCallback`) and webhook registration. Absent when the
   * provider takes no webhooks or the deployment has no PUBLIC_URL.
   */
  webhookUrl?: string;
  /** The verify token of the integration's webhook URL (Meta's `hub.verify_token`), where it has one. */
  webhookVerifyToken?: string;
}

export interface OutboundMessage {
  /** Our message id (providers that take a client reference get it). */
  id: string;
  channel: string;
  to: string;
  subject?: string;
  text?: string;
  html?: string;
  /** WhatsApp template messages. */
  template?: { name: string; language: string; params: string[] };
}

export interface TestResult {
  /** What the provider said about the account, in plain words ("Connected as @my_bot"). */
  message: string;
  details?: Record<string, unknown>;
}

export interface SendResult {
  providerMessageId: string;
}

/**
 * Why a provider call failed:
 * - `auth`: the credentials are refused (permanent; the integration is marked `error`);
 * - `permanent`: the request is refused for good (bad recipient, invalid content);
 * - `rate_limited`: 429; retry after `retryAfterSeconds`;
 * - `transient`: 5xx, timeout, network error; retry with backoff.
 */
export type ProviderErrorKind = "auth" | "permanent" | "rate_limited" | "transient";

export class ProviderError extends Error {
  override name = "ProviderError";
  constructor(
    readonly kind: ProviderErrorKind,
    message: string,
    readonly opts: { status?: number; retryAfterSeconds?: number; code?: string | number } = {},
  ) {
    // Provider text often quotes what it was sent: credential shapes never ride on an error.
    super(redactTokens(message));
  }
  get retryable(): boolean {
    return this.kind === "rate_limited" || this.kind === "transient";
  }
}

/** Seconds from a Retry-After header (delta-seconds or HTTP date), if any. */
export function retryAfterSeconds(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const n = Number(value);
  if (Number.isFinite(n) && n >= 0) return Math.ceil(n);
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, Math.ceil((at - now) / 1000)) : undefined;
}

/** The usual mapping of an HTTP status to an error kind. Providers refine it where they differ. */
export function kindForStatus(status: number): ProviderErrorKind {
  if (status === 401 || status === 403) return "auth";
  if (status === 429) return "rate_limited";
  if (status === 408 || status >= 500) return "transient";
  return "permanent";
}

export interface RequestOptions {
  method?: string;
  /** Appended to the base URL. */
  path: string;
  query?: Record<string, string | undefined>;
  headers?: Record<string, string>;
  /** JSON body. */
  json?: unknown;
  /** application/x-www-form-urlencoded body; arrays repeat the key. */
  form?: Record<string, string | string[] | undefined>;
  /** Any other body, with its content type in `headers`. */
  body?: BodyInit;
}

export interface ProviderResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body, or undefined when it is not JSON. */
  data: unknown;
}

/** Builds the Request a provider call sends (exposed so signing clients can sign it first). */
export function buildRequest(ctx: ProviderContext, opts: RequestOptions): Request {
  const url = new URL(ctx.baseUrl.replace(/\/+$/, "") + opts.path);
  for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
  const headers = new Headers(opts.headers);
  let body: BodyInit | undefined = opts.body;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  } else if (opts.form) {
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.form)) {
      if (v === undefined) continue;
      for (const item of Array.isArray(v) ? v : [v]) form.append(k, item);
    }
    body = form.toString();
    headers.set("content-type", "application/x-www-form-urlencoded");
  }
  if (!headers.has("accept")) headers.set("accept", "application/json");
  headers.set("user-agent", "Switchboard/0.1");
  return new Request(url, { method: opts.method ?? (body === undefined ? "GET" : "POST"), headers, body });
}

/**
 * Sends a request: paced first (a spent budget throws rate_limited at once), then with the
 * context's timeout, which counts only the provider's time and aborts the request when it
 * runs out. Network failures and timeouts are transient.
 */
export async function send(ctx: ProviderContext, request: Request): Promise<ProviderResponse> {
  await ctx.pace?.();
  let res: Response;
  try {
    res = await withTimeout(ctx.timeoutMs, (signal) => ctx.http(new Request(request, { signal })));
  } catch (e) {
    if (e instanceof ProviderError) throw e;
    if (e instanceof OutboundTimeout) throw new ProviderError("transient", e.message);
    // The outbound path says why a destination was refused or could not be reached.
    if (e instanceof OutboundRefused) throw new ProviderError("permanent", e.message);
    if (e instanceof OutboundUnreachable) throw new ProviderError("transient", e.message);
    throw new ProviderError("transient", "could not reach the provider (network error)");
  }
  const text = await res.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  return { status: res.status, headers: res.headers, text, data };
}

/** `buildRequest` then `send`. */
export const request = (ctx: ProviderContext, opts: RequestOptions) => send(ctx, buildRequest(ctx, opts));

/** A ProviderError for a non-2xx response, with the provider's reason and Retry-After. */
export function errorFrom(
  res: ProviderResponse,
  reason: string,
  kind = kindForStatus(res.status),
): ProviderError {
  return new ProviderError(kind, `${reason} (HTTP ${res.status})`, {
    status: res.status,
    retryAfterSeconds: retryAfterSeconds(res.headers.get("retry-after")),
  });
}

/** An HTTP Basic authorization header value (RFC 7617, UTF-8). */
export const basicAuth = (user: string, password: string): string =>
  `Basic ${toBase64(utf8(`${user}:${password}`))}`;

/** Reads a string setting, or throws a permanent error naming the missing field. */
export function setting(ctx: ProviderContext, name: string): string {
  const v = ctx.config[name];
  if (typeof v === "string" && v) return v;
  if (typeof v === "number") return String(v);
  throw new ProviderError("permanent", `the integration has no ${name} configured`);
}

/** Reads a secret, or throws a permanent error naming the missing field. */
export function secret(ctx: ProviderContext, name: string): string {
  const v = ctx.secrets[name];
  if (v) return v;
  throw new ProviderError("permanent", `the integration has no ${name} configured`);
}

/** A field of a JSON object, if the value is one. */
export function field(data: unknown, ...path: string[]): unknown {
  let cur: unknown = data;
  for (const k of path) {
    if (!cur || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}
