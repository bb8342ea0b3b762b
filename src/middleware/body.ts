/**
 * Body guards for JSON APIs: bodies over 1 MiB get 413 before they are read, and a body sent
 * with any content type but JSON gets 415.
 */
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context.ts";
import { ApiError, ErrorCode } from "../errors.ts";

export const MAX_BODY_BYTES = 1024 * 1024;

export const limitBody = (maxSize = MAX_BODY_BYTES) =>
  bodyLimit({
    maxSize,
    onError: () => {
      throw new ApiError(ErrorCode.PAYLOAD_TOO_LARGE, `Request body too large (${maxSize} bytes at most)`);
    },
  });

const JSON_RE = /^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i;

/** The API proxy forwards bodies of any type (the size limit still applies). */
const PROXY_PATH_RE = /^\/api\/integrations\/[^/]+\/proxy(\/|$)/;

export const requireJsonBody = createMiddleware<AppEnv>(async (c, next) => {
  const m = c.req.method;
  if (PROXY_PATH_RE.test(c.req.path)) return next();
  if (m === "POST" || m === "PUT" || m === "PATCH" || m === "DELETE") {
    const len = c.req.header("content-length");
    const hasBody = (len !== undefined && len !== "0") || c.req.header("transfer-encoding") !== undefined;
    const type = c.req.header("content-type");
    if (hasBody && !(type && JSON_RE.test(type))) {
      throw new ApiError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/json");
    }
  }
  await next();
});
