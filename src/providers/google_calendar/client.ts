/**
 * Google Calendar API v3 calls (base URL includes /calendar/v3): test connection reads the
 * configured calendar (`GET /calendars/{calendar_id}`) with the OAuth access token as Bearer.
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

/** Quota errors: 403 (or 429) with one of these reasons; Google sends no Retry-After. */
const RATE_REASONS = new Set(["rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"]);

/**
 * Google answers `{error: {code, message, errors: [{message, domain, reason}], status}}`.
 * 401 `authError` is a refused token; a 403 is a quota error or a missing scope.
 */
export function failure(res: ProviderResponse): ProviderError {
  const first = field(res.data, "error", "errors", "0");
  const reasonCode = field(first, "reason");
  const message = String(
    field(first, "message") ?? field(res.data, "error", "message") ?? "unexpected answer",
  );
  const kind = typeof reasonCode === "string" && RATE_REASONS.has(reasonCode) ? "rate_limited" : undefined;
  const err = errorFrom(res, `Google Calendar: ${message}`, kind);
  return new ProviderError(err.kind, err.message, {
    ...err.opts,
    ...(typeof reasonCode === "string" ? { code: reasonCode } : {}),
  });
}

/** The calendar the integration works on: its `calendar_id`, else the user's primary calendar. */
export function calendarId(ctx: Pick<ProviderContext, "config">): string {
  const id = ctx.config.calendar_id;
  return typeof id === "string" && id ? id : "primary";
}

/** The path of a calendar's resource, its id percent-encoded (ids hold `@` and `#`). */
export const calendarPath = (ctx: Pick<ProviderContext, "config">, rest = "") =>
  `/calendars/${encodeURIComponent(calendarId(ctx))}${rest}`;

/** Google's reason for a failure (`duplicate`, `fullSyncRequired`, `deleted`, ...), if it gave one. */
export const reasonOf = (res: ProviderResponse): string | undefined => {
  const r = field(res.data, "error", "errors", "0", "reason");
  return typeof r === "string" ? r : undefined;
};

export async function test(ctx: ProviderContext): Promise<TestResult> {
  const id = calendarId(ctx);
  const res = await request(ctx, { path: `/calendars/${encodeURIComponent(id)}`, headers: oauthBearer(ctx) });
  if (res.status !== 200) throw failure(res);
  const summary = field(res.data, "summary");
  const timeZone = field(res.data, "timeZone");
  return {
    message: `Connected to Google Calendar "${String(summary)}"${timeZone ? ` (${String(timeZone)})` : ""}`,
    details: { calendar_id: field(res.data, "id"), time_zone: timeZone },
  };
}
