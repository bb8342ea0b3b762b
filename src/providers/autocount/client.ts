/**
 * AutoCount Cloud Accounting Integration API calls: every route sits under the account book
 * (`/{accountBookId}/...`) and carries the static `Key-ID` and `API-Key` headers (the header
 * spelling comes from several third-party clients, not the docs: UNCONFIRMED).
 *
 * There is no ping endpoint (UNCONFIRMED), so test connection reads the first page of the
 * creditor listing (`GET /{accountBookId}/creditor/listing?page=1`), the cheapest read the docs
 * document; a bad key gives 401 `{"statusCode":401,"message":"401 Unauthorized."}`.
 */
import {
  errorFrom,
  field,
  type ProviderContext,
  ProviderError,
  type ProviderResponse,
  type RequestOptions,
  request,
  secret,
  setting,
  type TestResult,
} from "../runtime.ts";

/** The account book every path starts with. */
function bookId(ctx: ProviderContext): string {
  const id = setting(ctx, "account_book_id");
  if (!/^\d+$/.test(id)) throw new ProviderError("permanent", "the account_book_id must be numeric");
  return id;
}

/** A call under the account book with the key headers; `opts.path` starts after the book ID. */
export function autocountRequest(ctx: ProviderContext, opts: RequestOptions): Promise<ProviderResponse> {
  return request(ctx, {
    ...opts,
    path: `/${bookId(ctx)}${opts.path}`,
    headers: { ...opts.headers, "Key-ID": setting(ctx, "key_id"), "API-Key": secret(ctx, "api_key") },
  });
}

/**
 * Errors are `{statusCode, message}` with the message starting with the status ("401 Unauthorized.").
 * A 429 without Retry-After waits until `x-rate-limit-reset` (a date), else a whole minute window.
 */
export function failure(res: ProviderResponse): ProviderError {
  const raw = String(field(res.data, "message") ?? field(res.data, "Message") ?? "unexpected answer");
  const reason = raw.replace(/^\d{3}\s+/, "").replace(/\.$/, "");
  const err = errorFrom(res, `AutoCount: ${reason}`);
  if (res.status !== 429 || err.opts.retryAfterSeconds !== undefined) return err;
  const reset = Date.parse(res.headers.get("x-rate-limit-reset") ?? "");
  const wait = Number.isFinite(reset) ? Math.max(1, Math.ceil((reset - Date.now()) / 1000)) : 60;
  return new ProviderError("rate_limited", err.message, { status: 429, retryAfterSeconds: wait });
}

export async function test(ctx: ProviderContext): Promise<TestResult> {
  const res = await autocountRequest(ctx, { path: "/creditor/listing", query: { page: "1" } });
  if (res.status !== 200) throw failure(res);
  const book = bookId(ctx);
  return {
    message: `Connected to AutoCount account book ${book}`,
    details: { account_book_id: book, creditors: field(res.data, "totalCount") },
  };
}
