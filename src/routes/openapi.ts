/** Shared pieces for route modules: the app factory with our validation hook, error responses. */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context.ts";
import { validationError } from "../errors.ts";

/** A sub-app whose validation failures become 400s naming the fields. */
export const createRouter = () =>
  new OpenAPIHono<AppEnv>({
    strict: false,
    defaultHook: (result) => {
      if (!result.success)
        throw validationError(result.error, result.target === "json" ? undefined : result.target);
    },
  });

export const ErrorSchema = z
  .object({
    error: z.string().openapi({ example: "name: Invalid input" }),
    code: z.string().openapi({ example: "INVALID_FIELD" }),
    request_id: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi("Error");

export const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorSchema } },
});

/** Error responses every authenticated JSON route can give; spread into `responses`. */
export const errorResponses = {
  400: errorResponse("Malformed JSON, or an invalid field (named in `error` and `issues`)"),
  401: errorResponse("Missing or invalid API key"),
  403: errorResponse("The key's role may not do this, or the request names another organization"),
  404: errorResponse("No such object in the key's organization"),
  409: errorResponse("Conflicts with an existing object"),
  413: errorResponse("Body larger than 1 MiB"),
  415: errorResponse("Body is not application/json"),
} as const;

export const jsonBody = <T extends z.ZodType>(schema: T, description?: string) => ({
  required: true,
  description,
  content: { "application/json": { schema } },
});

export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const security = [{ apiKey: [] }];
