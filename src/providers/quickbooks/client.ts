/**
 * QuickBooks Online Accounting API calls (`/v3/company/{realmId}/...`, minorversion 75):
 * test connection reads the company info with the OAuth access token as a Bearer token.
 */
import { oauthBearer } from "../other/bearer.ts";
import {
  errorFrom,
  field,
  type ProviderContext,
  ProviderError,
  type ProviderResponse,
  request,
  setting,
  type TestResult,
} from "../runtime.ts";

export const PRODUCTION_URL = "https://quickbooks.api.intuit.com";
export const SANDBOX_URL = "https://sandbox-quickbooks.api.intuit.com";

/** Minor versions below 75 are no longer supported (treated as 75); send it explicitly. */
export const MINOR_VERSION = "75";

/** The integration's `environment: sandbox` selects Intuit's sandbox host instead of production. */
export function apiBase(ctx: ProviderContext): ProviderContext {
  const isDefault = ctx.baseUrl.replace(/\/+$/, "") === PRODUCTION_URL;
  return isDefault && ctx.config.environment === "sandbox" ? { ...ctx, baseUrl: SANDBOX_URL } : ctx;
}

/** Intuit's fault fields are capitalised in validation faults and lower-case in auth faults. */
const pick = (obj: unknown, name: string): unknown =>
  field(obj, name) ?? field(obj, name.charAt(0).toUpperCase() + name.slice(1));

/**
 * Faults look like `{Fault: {Error: [{Message, Detail, code}], type}}`, or for authentication
 * `{fault: {error: [{message: "message=AuthenticationFailed; errorCode=003200; statusCode=401"}]}}`
 * (the exact auth fault text is UNCONFIRMED in providers.md; it matches what clients report).
 */
export function failure(res: ProviderResponse): ProviderError {
  const error = pick(pick(pick(res.data, "fault"), "error"), "0");
  const raw = String(pick(error, "message") ?? "unexpected answer");
  const message = raw.match(/message=([^;]+)/)?.[1] ?? raw;
  const detail = pick(error, "detail");
  const reason = typeof detail === "string" && detail ? `${message}: ${detail}` : message;
  const err = errorFrom(res, `QuickBooks: ${reason}`);
  const code = pick(error, "code");
  return new ProviderError(err.kind, err.message, {
    ...err.opts,
    ...(typeof code === "string" ? { code } : {}),
    // Throttled calls should wait 60 s.
    ...(res.status === 429 && err.opts.retryAfterSeconds === undefined ? { retryAfterSeconds: 60 } : {}),
  });
}

export async function test(ctx: ProviderContext): Promise<TestResult> {
  const realm = setting(ctx, "realm_id");
  if (!/^\d+$/.test(realm))
    throw new ProviderError("permanent", "the realm_id must be the numeric company ID");
  const res = await request(apiBase(ctx), {
    path: `/v3/company/${realm}/companyinfo/${realm}`,
    query: { minorversion: MINOR_VERSION },
    headers: oauthBearer(ctx),
  });
  if (res.status !== 200) throw failure(res);
  const name = field(res.data, "CompanyInfo", "CompanyName");
  return {
    message: `Connected to QuickBooks company "${String(name)}" (realm ${realm})`,
    details: {
      realm_id: realm,
      legal_name: field(res.data, "CompanyInfo", "LegalName"),
      country: field(res.data, "CompanyInfo", "Country"),
    },
  };
}

/** The company's realm id, which every API path needs. */
export function realmOf(ctx: ProviderContext): string {
  const realm = setting(ctx, "realm_id");
  if (!/^\d+$/.test(realm))
    throw new ProviderError("permanent", "the realm_id must be the numeric company ID");
  return realm;
}

/** A GET under `/v3/company/{realmId}` answering its JSON; a QuickBooks fault is thrown. */
export async function qboGet(ctx: ProviderContext, path: string, query: Record<string, string>) {
  const res = await request(apiBase(ctx), {
    path: `/v3/company/${realmOf(ctx)}${path}`,
    query: { ...query, minorversion: MINOR_VERSION },
    headers: oauthBearer(ctx),
  });
  if (res.status !== 200) throw failure(res);
  return res.data;
}
