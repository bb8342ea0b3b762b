/**
 * Public webhook ingestion; no API key, the provider's signature is the authentication:
 * - `/webhooks/{provider}/{integration_id}`: each integration's own URL (its `webhook_url`);
 * - `/api/integrations/{provider}/webhook?integration_id=` or `?org_id=` (003);
 * - `/webhook?org_id=` (001, Meta): routed to the organization's Meta integration whose
 *   `page_id` (or account id) the event names.
 * Bodies over 256 KiB get 413 before they are read; the raw bytes go to the provider module.
 * They take any body, raw, so they are plain routes, described in src/openapi/webhooks.ts.
 */

import type { Context } from "hono";
import { Hono } from "hono";
import type { AppEnv } from "../context.ts";
import { ApiError, ErrorCode } from "../errors.ts";
import { limitBody } from "../middleware/body.ts";
import { ORG_CALLBACK_PROVIDERS } from "../providers/registry.ts";
import type { WebhookRequest } from "../providers/webhooks.ts";
import { MAX_WEBHOOK_BYTES } from "../services/webhooks.ts";

async function webhookRequest(c: Context<AppEnv>): Promise<WebhookRequest> {
  const body = new Uint8Array(await c.req.arrayBuffer());
  return { method: c.req.method, url: c.req.url, headers: c.req.raw.headers, body };
}

/** Runs work after the response (the queue send), keeping the isolate alive for it. */
const deferTo = (c: Context<AppEnv>) => (work: Promise<unknown>) => {
  const logged = work.catch((e) =>
    c
      .get("log")
      .error("deferred webhook work failed", { reason: e instanceof Error ? e.message : String(e) }),
  );
  try {
    c.executionCtx.waitUntil(logged);
  } catch {
    // No execution context (a direct app.fetch): the promise still runs to completion.
  }
};

export const webhooksApi = new Hono<AppEnv>();
const METHODS = ["GET", "HEAD", "POST"];

const limit = limitBody(MAX_WEBHOOK_BYTES);

webhooksApi.on(METHODS, "/webhooks/:provider/:id", limit, async (c) =>
  c
    .get("services")
    .webhooks.receive(c.req.param("provider"), c.req.param("id"), await webhookRequest(c), deferTo(c)),
);

webhooksApi.on(METHODS, "/api/integrations/:provider/webhook", limit, async (c) => {
  const services = c.get("services");
  const provider = c.req.param("provider");
  const integrationId = c.req.query("integration_id");
  const orgId = c.req.query("org_id");
  const req = await webhookRequest(c);
  if (integrationId) return services.webhooks.receive(provider, integrationId, req, deferTo(c));
  if (orgId) return services.webhooks.receiveForOrg([provider], orgId, req, deferTo(c));
  throw new ApiError(
    ErrorCode.BAD_REQUEST,
    "Name the receiving integration with ?integration_id= (or the organization with ?org_id=)",
    { issues: [{ path: "integration_id", message: "required" }] },
  );
});

webhooksApi.on(METHODS, "/webhook", limit, async (c) => {
  const orgId = c.req.query("org_id");
  if (!orgId) {
    throw new ApiError(ErrorCode.BAD_REQUEST, "Name the organization with ?org_id=", {
      issues: [{ path: "org_id", message: "required" }],
    });
  }
  return c
    .get("services")
    .webhooks.receiveForOrg(ORG_CALLBACK_PROVIDERS, orgId, await webhookRequest(c), deferTo(c));
});
