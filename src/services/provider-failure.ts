/**
 * A provider failure met while the caller waits (a free-slot check, an availability query), as
 * the API answers it: refused credentials 409, a rate limit 429 with Retry-After, an outage 502
 * with Retry-After, anything else 400 with the provider's reason.
 */
import { ApiError, ErrorCode } from "../errors.ts";
import type { ProviderError } from "../providers/runtime.ts";

export function providerApiError(displayName: string, e: ProviderError): ApiError {
  const retryAfter = { "retry-after": String(e.opts.retryAfterSeconds ?? 30) };
  switch (e.kind) {
    case "auth":
      return new ApiError(ErrorCode.CONFLICT, `${displayName} refused the credentials: ${e.message}`);
    case "rate_limited":
      return new ApiError(ErrorCode.RATE_LIMITED, e.message, { headers: retryAfter });
    case "transient":
      return new ApiError(ErrorCode.PROVIDER_UNAVAILABLE, e.message, { headers: retryAfter });
    default:
      return new ApiError(ErrorCode.BAD_REQUEST, e.message);
  }
}
