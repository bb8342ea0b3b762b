/** /api/templates: message templates with `{{variables}}`, versioned. */
import { createRoute, z } from "@hono/zod-openapi";
import { orgAuth } from "../middleware/auth.ts";
import { CHANNELS, templateVersionView, templateView } from "../services/messages.ts";
import { PageQuery } from "./integrations/schema.ts";
import { createRouter, errorResponses, jsonBody, jsonResponse, security } from "./openapi.ts";

export const templatesApi = createRouter();
const tags = ["Templates"];

const Content = {
  subject: z.string().min(1).max(998).nullable().optional(),
  text: z.string().min(1).max(65_536).nullable().optional(),
  html: z.string().min(1).max(1_000_000).nullable().optional(),
};
const Name = z.string().trim().min(1).max(200);

const CreateTemplate = z
  .object({ name: Name, channel: z.enum(CHANNELS), ...Content })
  .openapi("CreateTemplate", {
    example: {
      name: "welcome",
      channel: "email",
      subject: "Welcome, {{first_name}}",
      text: "Hi {{first_name}}, your code is {{code}}.",
      html: "<p>Hi {{first_name}}, your code is <b>{{code}}</b>.</p>",
    },
  });
const UpdateTemplate = z.object({ name: Name.optional(), channel: z.enum(CHANNELS).optional(), ...Content });

const TemplateSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    channel: z.string(),
    version: z.number().openapi({ description: "The current version; every content change adds one" }),
    subject: z.string().nullable(),
    text: z.string().nullable(),
    html: z.string().nullable(),
    variables: z.array(z.string()).openapi({ description: "The `{{variables}}` the content uses" }),
    created_at: z.string().optional(),
    updated_at: z.string().optional(),
  })
  .openapi("Template");
const VersionSchema = z
  .object({
    version: z.number(),
    subject: z.string().nullable(),
    text: z.string().nullable(),
    html: z.string().nullable(),
    variables: z.array(z.string()),
    created_at: z.string(),
  })
  .openapi("TemplateVersion");
const IdParam = z.object({ id: z.string().min(1).max(64) });
const One = z.object({ template: TemplateSchema });

templatesApi.openapi(
  createRoute({
    method: "post",
    path: "/",
    tags,
    security,
    summary: "Create a template (version 1)",
    description:
      "`{{name}}` marks a variable (letters, digits, `_`, `.`, `-`). Email templates need `subject` and `text` or `html`; the other channels need `text`. In `html` a variable's value is HTML-escaped when sent; in `text` and `subject` it is written as given (line breaks in a subject become spaces). Names are unique in the organization.",
    request: { body: jsonBody(CreateTemplate) },
    responses: { 201: jsonResponse(One, "Created"), ...errorResponses },
  }),
  async (c) => {
    const t = await c.get("services").templates.create(orgAuth(c).orgId, c.req.valid("json"));
    return c.json({ template: templateView(t) }, 201);
  },
);

templatesApi.openapi(
  createRoute({
    method: "get",
    path: "/",
    tags,
    security,
    summary: "List templates, newest first",
    request: { query: PageQuery.extend({ channel: z.enum(CHANNELS).optional() }) },
    responses: {
      200: jsonResponse(
        z.object({ templates: z.array(TemplateSchema), next_cursor: z.string().nullable() }),
        "Templates",
      ),
      ...errorResponses,
    },
  }),
  async (c) => {
    const page = await c.get("services").templates.list(orgAuth(c).orgId, c.req.valid("query"));
    return c.json({ templates: page.items.map(templateView), next_cursor: page.nextCursor }, 200);
  },
);

templatesApi.openapi(
  createRoute({
    method: "get",
    path: "/{id}",
    tags,
    security,
    summary: "A template (its current version, or `?version=`)",
    request: { params: IdParam, query: z.object({ version: z.coerce.number().int().min(1).optional() }) },
    responses: { 200: jsonResponse(One, "The template"), ...errorResponses },
  }),
  async (c) => {
    const t = await c
      .get("services")
      .templates.version(orgAuth(c).orgId, c.req.valid("param").id, c.req.valid("query").version);
    return c.json({ template: templateView(t) }, 200);
  },
);

templatesApi.openapi(
  createRoute({
    method: "get",
    path: "/{id}/versions",
    tags,
    security,
    summary: "Every version of a template, newest first",
    request: { params: IdParam },
    responses: {
      200: jsonResponse(z.object({ versions: z.array(VersionSchema) }), "Versions"),
      ...errorResponses,
    },
  }),
  async (c) => {
    const v = await c.get("services").templates.versions(orgAuth(c).orgId, c.req.valid("param").id);
    return c.json({ versions: v.map(templateVersionView) }, 200);
  },
);

templatesApi.openapi(
  createRoute({
    method: "patch",
    path: "/{id}",
    tags,
    security,
    summary: "Change a template: new content is a new version",
    description:
      "Changing `subject`, `text` or `html` makes the next version, which sends use from then on (a message records the version it used; older versions stay readable). A new `name` alone keeps the version. The channel cannot change.",
    request: { params: IdParam, body: jsonBody(UpdateTemplate) },
    responses: { 200: jsonResponse(One, "The template as changed"), ...errorResponses },
  }),
  async (c) => {
    const t = await c
      .get("services")
      .templates.update(orgAuth(c).orgId, c.req.valid("param").id, c.req.valid("json"));
    return c.json({ template: templateView(t) }, 200);
  },
);

templatesApi.openapi(
  createRoute({
    method: "delete",
    path: "/{id}",
    tags,
    security,
    summary: "Delete a template and its versions (messages sent with it keep their content)",
    request: { params: IdParam },
    responses: { 204: { description: "Deleted" }, ...errorResponses },
  }),
  async (c) => {
    await c.get("services").templates.delete(orgAuth(c).orgId, c.req.valid("param").id);
    return c.body(null, 204);
  },
);
