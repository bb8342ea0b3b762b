/**
 * HubSpot API calls: test connection reads the account details (`GET /account-info/v3/details`)
 * with the private-app token or the OAuth access token as a Bearer token.
 */
import { bearerHeader } from "../other/bearer.ts";
import {
  errorFrom,
  field,
  type ProviderContext,
  ProviderError,
  type ProviderResponse,
  request,
  type TestResult,
} from "../runtime.ts";

/**
 * HubSpot answers `{status:"error", message, correlationId, category}`; 429s carry
 * `errorType:"RATE_LIMIT"` and `policyName` (TEN_SECONDLY_ROLLING or DAILY).
 */
export function failure(res: ProviderResponse): ProviderError {
  const message = String(field(res.data, "message") ?? "unexpected answer");
  // The first sentence is the reason; the rest points at the OAuth docs.
  const reason = message.split(/(?<=\.)\s/)[0]?.replace(/\.$/, "") ?? message;
  const err = errorFrom(res, `HubSpot: ${reason}`);
  const category = field(res.data, "category") ?? field(res.data, "errorType");
  const opts = { ...err.opts, ...(typeof category === "string" ? { code: category } : {}) };
  if (res.status === 429 && opts.retryAfterSeconds === undefined) {
    // No Retry-After on the ten-second window: wait it out. The daily limit resets at midnight.
    opts.retryAfterSeconds = field(res.data, "policyName") === "DAILY" ? 3600 : 10;
  }
  return new ProviderError(err.kind, err.message, opts);
}

export async function test(ctx: ProviderContext): Promise<TestResult> {
  // A private-app token when the integration has one, else the OAuth access token.
  const res = await request(ctx, {
    path: "/account-info/v3/details",
    headers: bearerHeader(ctx, "private_app_token", "access_token"),
  });
  if (res.status !== 200) throw failure(res);
  const portalId = field(res.data, "portalId");
  const uiDomain = field(res.data, "uiDomain");
  return {
    message: `Connected to HubSpot account ${String(portalId)}${uiDomain ? ` (${String(uiDomain)})` : ""}`,
    details: {
      portal_id: portalId,
      account_type: field(res.data, "accountType"),
      time_zone: field(res.data, "timeZone"),
      currency: field(res.data, "companyCurrency"),
      data_hosting_location: field(res.data, "dataHostingLocation"),
    },
  };
}
