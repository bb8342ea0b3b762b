/**
 * Xero Accounting API calls (`/api.xro/2.0/...`): every call carries the OAuth access token as a
 * Bearer token and the organisation's `xero-tenant-id`; test connection reads the Organisation.
 */
import { oauthBearer } from "../other/bearer.ts";
import {
  errorFrom,
  field,
  type ProviderContext,
  type ProviderError,
  type ProviderResponse,
  request,
  setting,
  type TestResult,
} from "../runtime.ts";

/** The headers every Accounting API call needs (JSON, since Xero's default format is XML). */
export function xeroHeaders(ctx: ProviderContext): Record<string, string> {
  return {
    ...oauthBearer(ctx),
    "xero-tenant-id": setting(ctx, "tenant_id"),
    accept: "application/json",
  };
}

/** The messages of a `ValidationException`, joined, if the body is one. */
function validationMessages(data: unknown): string | undefined {
  const elements = field(data, "Elements");
  if (!Array.isArray(elements)) return undefined;
  const messages = elements.flatMap((e) => {
    const errors = field(e, "ValidationErrors");
    return Array.isArray(errors)
      ? errors.map((v) => field(v, "Message")).filter((m) => typeof m === "string")
      : [];
  });
  return messages.length ? messages.join("; ") : undefined;
}

/**
 * Auth failures are problem details `{Title, Status, Detail: "AuthenticationUnsuccessful"}`
 * (401 for the token, 403 for a tenant the token cannot reach); API errors carry `Message`.
 * Rate limits are 429 with Retry-After (errorFrom reads it) and X-Rate-Limit-Problem.
 * Validation failures (400 `ValidationException`) name their reasons in
 * `Elements[].ValidationErrors[].Message`.
 */
export function failure(res: ProviderResponse): ProviderError {
  const reason =
    validationMessages(res.data) ??
    field(res.data, "Detail") ??
    field(res.data, "Message") ??
    field(res.data, "Title");
  const problem = res.headers.get("x-rate-limit-problem");
  return errorFrom(
    res,
    `Xero: ${String(reason ?? "unexpected answer")}${problem ? ` (${problem} limit)` : ""}`,
  );
}

export async function test(ctx: ProviderContext): Promise<TestResult> {
  const res = await request(ctx, { path: "/api.xro/2.0/Organisation", headers: xeroHeaders(ctx) });
  if (res.status !== 200) throw failure(res);
  const org = field(res.data, "Organisations", "0");
  return {
    message: `Connected to Xero organisation "${String(field(org, "Name"))}"`,
    details: {
      organisation_id: field(org, "OrganisationID"),
      short_code: field(org, "ShortCode"),
      base_currency: field(org, "BaseCurrency"),
      country: field(org, "CountryCode"),
    },
  };
}
