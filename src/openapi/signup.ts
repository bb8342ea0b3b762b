/**
 * A sign-up page's public submission (src/routes/signup.ts) in the OpenAPI document: a plain
 * route (each page declares its own fields, and it reads three body types), so it is described
 * here rather than by a route definition.
 */
import { z } from "@hono/zod-openapi";
import { ErrorSchema } from "../routes/openapi.ts";
import { MAX_SIGNUP_BYTES, SIGNUP_RATE_LIMIT } from "../services/signup.ts";
import type { Registry } from "./registry.ts";

const error = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorSchema } },
});

/** The submitted fields: the page's own (its `form_fields`), so any names; unknown ones are dropped. */
const Answers = z
  .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]))
  .openapi({
    description:
      "The page's fields by name (`form_fields` of the sign-up page integration): a checkbox is `true`, `on`, `1` or `yes`; fields the page does not declare are dropped",
    example: { email: "ada@example.com", name: "Ada Lovelace", terms: true },
  });
const FormAnswers = z.record(z.string(), z.union([z.string(), z.array(z.string())])).openapi({
  description: "The page's fields by name, as a browser form posts them (files are ignored)",
});

/** The public submission of a sign-up page. */
export function describeSignupRoute(registry: Registry) {
  registry.registerPath({
    method: "post",
    path: "/signup/{id}",
    tags: ["Sign-up pages"],
    // No API key: the page is public; an empty requirement says so to clients.
    security: [],
    summary: "Submit a sign-up page (public: no API key)",
    description: `The public submission endpoint of a sign-up page (an active \`signup_page\` integration): it validates the answers against the page's \`form_fields\`, stores the contact and emits \`lead.created\`. No API key. Browsers get CORS headers (for this POST and its preflight) only from the origins in the page's \`allowed_origins\` (a \`*\` line allows any); a submission from elsewhere is still taken, the browser just cannot read the answer. ${SIGNUP_RATE_LIMIT.limit} submissions per client address per ${SIGNUP_RATE_LIMIT.windowSeconds} seconds, then 429 with Retry-After. A browser (a plain form post, or \`Accept: text/html\`) is sent on to the page's \`redirect_url\` with 303, or shown a thank-you page; an API caller gets 201 JSON.`,
    request: {
      params: z.object({ id: z.string().openapi({ description: "The sign-up page integration" }) }),
      body: {
        required: true,
        description: `The answers, ${MAX_SIGNUP_BYTES / 1024} KiB at most`,
        content: {
          "application/json": { schema: Answers },
          "application/x-www-form-urlencoded": { schema: FormAnswers },
          "multipart/form-data": { schema: FormAnswers },
        },
      },
    },
    responses: {
      200: {
        description: "Stored; a browser without a `redirect_url` to go to sees a thank-you page",
        content: { "text/html": { schema: z.string() } },
      },
      201: {
        description: "Stored (an API caller)",
        content: {
          "application/json": {
            schema: z
              .object({
                ok: z.literal(true),
                contact_id: z
                  .string()
                  .nullable()
                  .openapi({ description: "The contact record; null when the page creates none" }),
                lead_id: z.string(),
              })
              .openapi("SignupResult"),
          },
        },
      },
      303: { description: "Stored; a browser is sent on to the page's `redirect_url` (in Location)" },
      400: error(
        "Malformed JSON or form body, a body that is not an object, or an invalid field (named in `issues`)",
      ),
      404: error("No such active sign-up page"),
      413: error(`Body larger than ${MAX_SIGNUP_BYTES / 1024} KiB`),
      415: error("Body is not JSON, urlencoded or multipart"),
      429: error("Too many submissions from this address; Retry-After says when to try again"),
    },
  });
}
