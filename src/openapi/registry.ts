/** Where the OpenAPI document's definitions are kept: an app's registry. */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../context.ts";

export type Registry = OpenAPIHono<AppEnv>["openAPIRegistry"];
