/**
 * Custom integration: test connection is `GET {api_base_url}` with `Authorization: Bearer <api_key>`.
 * Any 2xx is a working connection; 401/403 means the key is refused.
 */
import {
  errorFrom,
  field,
  type ProviderContext,
  ProviderError,
  type ProviderResponse,
  request,
  type TestResult,
} from "../runtime.ts";
import { bearerHeader } from "./bearer.ts";

const STATUS_WORDS: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** The reason an arbitrary API gives: the usual JSON error fields, else the status in words. */
function reason(res: ProviderResponse): string {
  const candidates = [
    field(res.data, "error", "message"),
    field(res.data, "error_description"),
    field(res.data, "error"),
    field(res.data, "message"),
    field(res.data, "detail"),
    field(res.data, "title"),
  ];
  const found = candidates.find((c): c is string => typeof c === "string" && c.trim() !== "");
  return found ? found.slice(0, 200) : (STATUS_WORDS[res.status] ?? "unexpected answer");
}

export async function test(ctx: ProviderContext): Promise<TestResult> {
  if (!ctx.baseUrl) throw new ProviderError("permanent", "the integration has no api_base_url configured");
  const res = await request(ctx, { path: "", headers: bearerHeader(ctx, "api_key") });
  if (res.status < 200 || res.status > 299) throw errorFrom(res, `Custom API: ${reason(res)}`);
  // Origin and path only: a customer URL may carry a key in its query string.
  const url = new URL(ctx.baseUrl);
  return {
    message: `Connected: ${url.origin}${url.pathname} answered HTTP ${res.status}`,
    details: { status: res.status },
  };
}
