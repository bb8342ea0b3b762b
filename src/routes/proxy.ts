/**
 * `/api/integrations/{id}/proxy/{path}`, any method: the host app calls the provider's API
 * through the hub, which injects the integration's credentials (see services/proxy.ts).
 * Admin keys may make any call. Member (read-only) keys may make only the calls the provider
 * module declares read-only (`proxyReadOnly`): a GET is not enough, Telegram's
 * `GET /sendMessage` sends.
 *
 * The route takes every method and any body, so it is a plain route; its operations are
 * described in src/openapi/proxy.ts.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../context.ts";
import { orgAuth } from "../middleware/auth.ts";
import { ApiProxy } from "../services/proxy.ts";

export const proxyApi = new OpenAPIHono<AppEnv>({ strict: false });

proxyApi.all("/:id/proxy/*", async (c) => {
  const auth = orgAuth(c);
  const id = c.req.param("id");
  const url = new URL(c.req.url);
  const marker = `/${id}/proxy`;
  const at = url.pathname.indexOf(marker);
  const path = at >= 0 ? url.pathname.slice(at + marker.length) : "";
  const { activity, integrations, connections } = c.get("services");
  const method = c.req.method;
  const body = method === "GET" || method === "HEAD" ? undefined : await c.req.arrayBuffer();
  const { response } = await new ApiProxy(activity, integrations, connections, c.get("requestId")).forward(
    auth.orgId,
    id,
    {
      method,
      path,
      search: url.search,
      headers: c.req.raw.headers,
      body: body?.byteLength ? body : undefined,
      readOnly: auth.role !== "admin",
    },
  );
  return response;
});
