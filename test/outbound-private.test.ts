/**
 * Redirects on the outbound path are never followed. Runs in the `private-network` project
 * (ALLOW_PRIVATE_URLS=true, vitest.config.ts), because its provider is a local server: the
 * redirector of test/outbound-trap.global.ts answers every request with a 302 to the trap
 * listener, which counts every connection and must get none. Test connection, the proxy (the
 * 3xx is passed back as it is, without its Location) and event deliveries stop at the 302.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import worker from "../src/index.ts";
import { createServices } from "../src/services/index.ts";
import { call, newIntegration, newOrg } from "./harness.ts";

const targets = inject("outbound");
/** The deployment as in production (sandbox off), so the integration's own api_base_url is used. */
const LIVE = { SANDBOX_ENABLED: "false" } as Partial<Env>;
const REDIRECTOR = `http://127.0.0.1:${targets.redirector}`;

async function counts(): Promise<{ trap: number; redirector: number }> {
  const res = await fetch(`http://127.0.0.1:${targets.http}/counts`);
  return (await res.json()) as { trap: number; redirector: number };
}

describe("redirects are never followed", () => {
  it("test connection and the proxy stop at the provider's 302", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, {
      provider: "other",
      name: "Redirecting API",
      api_base_url: `${REDIRECTOR}/api`,
      api_key: "other-key-0123456789",
    });
    const before = await counts();
    const tested = await call("POST", `/api/integrations/${i.id}/test`, { key: org.adminKey, env: LIVE });
    const proxied = await call("GET", `/api/integrations/${i.id}/proxy/items`, {
      key: org.adminKey,
      env: LIVE,
    });
    const after = await counts();
    expect(after.trap).toBe(before.trap);
    expect(after.redirector - before.redirector).toBe(2);
    expect(tested.json.ok, tested.text).toBe(false);
    expect(tested.json.message).toMatch(/HTTP 302/);
    expect(proxied.status).toBe(302);
    expect(proxied.headers.get("location")).toBeNull();
  });

  it("an event delivery to an endpoint that redirects is a failed attempt", async () => {
    const org = await newOrg();
    const created = await call("POST", "/api/event-endpoints", {
      key: org.adminKey,
      body: { url: `${REDIRECTOR}/hook` },
    });
    expect(created.status, created.text).toBe(201);
    const queue = { send: async () => {}, sendBatch: async () => {} } as unknown as Queue;
    const services = createServices({ ...env, JOBS: queue } as Env, "req_outbound_private");
    const { deliveryIds } = await services.events.emit(org.orgId, "lead.created", { lead_id: "L1" });
    const before = await counts();
    const batch = createMessageBatch("switchboard-jobs", [
      {
        id: `q-${crypto.randomUUID()}`,
        timestamp: new Date(),
        attempts: 1,
        body: { type: "event.deliver", orgId: org.orgId, deliveryId: deliveryIds[0] },
      },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, { ...env, JOBS: queue, DLQ: queue } as Env, ctx);
    await getQueueResult(batch, ctx);
    const after = await counts();
    expect(after.trap).toBe(before.trap);
    expect(after.redirector - before.redirector).toBe(1);
    const d = await call(
      "GET",
      `/api/event-endpoints/${created.json.endpoint.id}/deliveries/${deliveryIds[0]}`,
      { key: org.adminKey },
    );
    expect(d.json.delivery.last_status_code).toBe(302);
  });
});
