/**
 * The public submission endpoint of sign-up pages, `POST /signup/{integration_id}`: no API key.
 * JSON, urlencoded and multipart bodies up to 64 KiB; CORS only for the page's allowed origins;
 * browsers (form posts, `Accept: text/html`) are redirected (303) to `redirect_url`, API callers
 * get 201 JSON. See src/services/signup.ts for validation and storage.
 *
 * Each page declares its own fields and the handler reads three body types, so the route is a
 * plain one; its operation is described in src/openapi/signup.ts.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../context.ts";
import type { IntegrationRow } from "../db/schema.ts";
import { ApiError, ErrorCode, onError } from "../errors.ts";
import { limitBody } from "../middleware/body.ts";
import { allowFraming } from "../middleware/security-headers.ts";
import { allowedOriginsOf, corsHeaders, MAX_SIGNUP_BYTES, redirectUrlOf } from "../services/signup.ts";

export const signupApi = new OpenAPIHono<AppEnv>();

const JSON_RE = /^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i;
const FORM_RE = /^(application\/x-www-form-urlencoded|multipart\/form-data)\s*(;|$)/i;

/** The submitted fields: a JSON object, or form fields (files are ignored). */
async function submission(c: Context<AppEnv>): Promise<{ input: Record<string, unknown>; form: boolean }> {
  const type = c.req.header("content-type") ?? "";
  if (JSON_RE.test(type)) {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw new ApiError(ErrorCode.MALFORMED_JSON, "Malformed JSON in request body");
    }
    if (!body || typeof body !== "object" || Array.isArray(body))
      throw new ApiError(ErrorCode.BAD_REQUEST, "The body must be a JSON object of field values");
    return { input: body as Record<string, unknown>, form: false };
  }
  if (FORM_RE.test(type)) {
    let parsed: Awaited<ReturnType<typeof c.req.parseBody>>;
    try {
      parsed = await c.req.parseBody({ all: true });
    } catch {
      // A multipart body without its boundary or headers: the runtime's parser throws.
      throw new ApiError(ErrorCode.BAD_REQUEST, "Malformed form body");
    }
    const input: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(parsed)) {
      const values = (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === "string");
      if (values.length) input[k] = values.length === 1 ? values[0] : values;
    }
    return { input, form: true };
  }
  throw new ApiError(
    ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    "Content-Type must be application/json, application/x-www-form-urlencoded or multipart/form-data",
  );
}

/** A browser navigation (a plain form post, or one that prefers HTML) rather than an API call. */
function fromBrowser(c: Context<AppEnv>, form: boolean) {
  const accept = c.req.header("accept") ?? "";
  if (/text\/html/i.test(accept)) return true;
  return form && !/application\/json/i.test(accept);
}

const withHeaders = (res: Response, headers: Record<string, string>) => {
  for (const [k, v] of Object.entries(headers)) res.headers.set(k, v);
  return res;
};

const THANKS_HTML =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Thank you</title></head><body><main><h1>Thank you for signing up!</h1></main></body></html>';

signupApi.options("/signup/:id", async (c) => {
  const row = await c.get("services").signup.page(c.req.param("id"));
  return withHeaders(c.body(null, 204), corsHeaders(row, c.req.header("origin")));
});

signupApi.post("/signup/:id", limitBody(MAX_SIGNUP_BYTES), async (c) => {
  const services = c.get("services");
  const row: IntegrationRow = await services.signup.page(c.req.param("id"));
  const origin = c.req.header("origin");
  const cors = corsHeaders(row, origin);
  try {
    await services.signup.rateLimit(row, c.req.header("cf-connecting-ip") ?? "unknown");
    const { input, form } = await submission(c);
    const result = await services.signup.submit(row, input, origin ? { origin } : {});
    // Read back through the same check as writes: a stored value never goes into a header unchecked.
    const redirect = redirectUrlOf(row.config);
    if (fromBrowser(c, form)) {
      if (redirect) return withHeaders(c.redirect(redirect, 303), cors);
      // The page may show in a frame on the origins it allows, nowhere else.
      allowFraming(c, allowedOriginsOf(row.config));
      return withHeaders(c.html(THANKS_HTML, 200), cors);
    }
    return withHeaders(c.json({ ok: true, contact_id: result.contactId, lead_id: result.leadId }, 201), cors);
  } catch (err) {
    return withHeaders(onError(err, c), cors);
  }
});
