/**
 * One error vocabulary for the whole API: an ErrorCode, its HTTP status, an ApiError that
 * routes and services throw, and the one handler that turns anything thrown into the flat
 * JSON body 001 clients read: `{"error", "code", "request_id", "issues"?}`.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ZodError } from "zod";
import { KeyRingError } from "./crypto/keyring.ts";
import type { Logger } from "./lib/log.ts";

/**
 * The context variables the error handler reads. Declared here rather than importing the app's
 * context type, so that errors.ts depends on nothing that depends on the services.
 */
export interface ErrorEnv {
  Variables: { requestId: string; log: Logger };
}

export const ErrorCode = {
  BAD_REQUEST: "BAD_REQUEST",
  MALFORMED_JSON: "MALFORMED_JSON",
  INVALID_FIELD: "INVALID_FIELD",
  UNKNOWN_PROVIDER: "UNKNOWN_PROVIDER",
  UNSUPPORTED_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  UNAUTHORIZED: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  METHOD_NOT_ALLOWED: "METHOD_NOT_ALLOWED",
  CONFLICT: "CONFLICT",
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  RATE_LIMITED: "RATE_LIMITED",
  INTERNAL: "INTERNAL",
  NOT_CONFIGURED: "NOT_CONFIGURED",
  PROVIDER_UNAVAILABLE: "PROVIDER_UNAVAILABLE",
  RECIPIENT_SUPPRESSED: "RECIPIENT_SUPPRESSED",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const codeToStatus = {
  BAD_REQUEST: 400,
  MALFORMED_JSON: 400,
  INVALID_FIELD: 400,
  UNKNOWN_PROVIDER: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  NOT_CONFIGURED: 503,
  PROVIDER_UNAVAILABLE: 502,
  RECIPIENT_SUPPRESSED: 422,
} as const satisfies Record<ErrorCode, number>;

export interface Issue {
  path: string;
  message: string;
}

export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extra: { issues?: Issue[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
  }
  get status() {
    return codeToStatus[this.code];
  }
}

export const notFound = (what = "Integration") => new ApiError(ErrorCode.NOT_FOUND, `${what} not found`);

/** Turns zod issues into a 400 whose message names the fields. */
export function validationError(error: ZodError, prefix?: string): ApiError {
  const issues = error.issues.map((i) => {
    const path = [prefix, ...i.path.map(String)].filter(Boolean).join(".");
    return { path, message: i.message };
  });
  const first = issues[0];
  const message = first
    ? `${first.path ? `${first.path}: ` : ""}${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ""}`
    : "invalid request";
  return new ApiError(ErrorCode.INVALID_FIELD, message, { issues });
}

export function errorBody<E extends ErrorEnv>(c: Context<E>, err: ApiError) {
  return {
    error: err.message,
    code: err.code,
    request_id: c.get("requestId"),
    ...(err.extra.issues ? { issues: err.extra.issues } : {}),
  };
}

/** The one error handler. A 500 never echoes an internal message; the log has the reason. */
export function onError<E extends ErrorEnv>(err: unknown, c: Context<E>) {
  let apiErr: ApiError;
  if (err instanceof ApiError) {
    apiErr = err;
  } else if (err instanceof KeyRingError) {
    c.get("log")?.error("key ring unavailable", { reason: err.message });
    apiErr = new ApiError(ErrorCode.NOT_CONFIGURED, `vault unavailable: ${err.message}`);
  } else if (err instanceof HTTPException) {
    const status = err.status;
    const code: ErrorCode =
      status === 400
        ? /json/i.test(err.message)
          ? ErrorCode.MALFORMED_JSON
          : ErrorCode.BAD_REQUEST
        : status === 401
          ? ErrorCode.UNAUTHORIZED
          : status === 413
            ? ErrorCode.PAYLOAD_TOO_LARGE
            : status === 415
              ? ErrorCode.UNSUPPORTED_MEDIA_TYPE
              : status === 404
                ? ErrorCode.NOT_FOUND
                : ErrorCode.INTERNAL;
    const message =
      code === ErrorCode.MALFORMED_JSON
        ? "Malformed JSON in request body"
        : code === ErrorCode.PAYLOAD_TOO_LARGE
          ? "Request body too large"
          : code === ErrorCode.INTERNAL
            ? "Internal server error"
            : err.message || code;
    if (code === ErrorCode.INTERNAL) c.get("log")?.error("http exception", { status, reason: err.message });
    apiErr = new ApiError(code, message);
  } else {
    const e = err instanceof Error ? err : new Error(String(err));
    c.get("log")?.error("unhandled error", { reason: e.message, stack: e.stack });
    apiErr = new ApiError(ErrorCode.INTERNAL, "Internal server error");
  }
  const res = c.json(errorBody(c, apiErr), apiErr.status);
  for (const [k, v] of Object.entries(apiErr.extra.headers ?? {})) res.headers.set(k, v);
  return res;
}
