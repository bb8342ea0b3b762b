/**
 * The outbound path end to end: a tenant-given host which looks public as written but resolves
 * to a loopback address (test/loopback-name.ts) is never connected to (an `other`
 * integration's api_base_url through test connection and the proxy, an SMTP host, an event
 * endpoint); the sandbox relaxes no check; URL fields take only http(s). The worker runs with ALLOW_PRIVATE_URLS=false and OUTBOUND bound to
 * a network that allows only public addresses (vitest.config.ts); the trap listener of
 * test/outbound-trap.global.ts counts every connection it gets, and must get none.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import worker from "../src/index.ts";
import { createServices } from "../src/services/index.ts";
import { call, newIntegration, newOrg } from "./harness.ts";

const targets = inject("outbound");
const NAME = targets.loopbackName;
/** What the network outside the sandbox is: the deployment as in production, sandbox off. */
const LIVE = { SANDBOX_ENABLED: "false" } as Partial<Env>;

async function trapCount(): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${targets.http}/counts`);
  return ((await res.json()) as { trap: number }).trap;
}

async function rowCounts(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of ["integrations", "integration_logs", "event_endpoints"]) {
    const r = await env.DB.prepare(`select count(*) as n from ${t}`).first<{ n: number }>();
    out[t] = r?.n ?? -1;
  }
  return out;
}

describe("tenant-given hosts that resolve to loopback are never connected to", () => {
  it("an `other` integration's api_base_url: test connection and the proxy", async () => {
    const org = await newOrg();
    const before = await trapCount();
    const i = await newIntegration(org, {
      provider: "other",
      name: "Looks public",
      api_base_url: `http://${NAME}:${targets.trap}/api`,
      api_key: "other-key-0123456789",
    });
    const tested = await call("POST", `/api/integrations/${i.id}/test`, { key: org.adminKey, env: LIVE });
    const proxied = await call("GET", `/api/integrations/${i.id}/proxy/items`, {
      key: org.adminKey,
      env: LIVE,
    });
    expect(await trapCount()).toBe(before);
    expect(tested.status, tested.text).toBe(200);
    expect(tested.json.ok).toBe(false);
    expect(tested.json.message).toMatch(/refused or unreachable.*private address is refused/);
    expect(proxied.status, proxied.text).toBe(502);
  });

  it("an SMTP host", async () => {
    const org = await newOrg();
    const before = await trapCount();
    const create = await call("POST", "/api/integrations", {
      key: org.adminKey,
      env: LIVE,
      body: {
        provider: "smtp",
        name: "Looks public",
        host: NAME,
        port: targets.trap,
        security: "none",
        from_email: "noreply@example.com",
      },
    });
    expect(create.status, create.text).toBe(201);
    const id = create.json.integration.id as string;
    const tested = await call("POST", `/api/integrations/${id}/test`, { key: org.adminKey, env: LIVE });
    expect(await trapCount()).toBe(before);
    expect(tested.status, tested.text).toBe(200);
    expect(tested.json.ok).toBe(false);
    expect(tested.json.message).toMatch(/^SMTP connect: connection to .* failed/);
  });

  it("an event endpoint", async () => {
    const org = await newOrg();
    const before = await trapCount();
    const created = await call("POST", "/api/event-endpoints", {
      key: org.adminKey,
      body: { url: `https://${NAME}:${targets.trap}/hook` },
    });
    expect(created.status, created.text).toBe(201);
    const endpointId = created.json.endpoint.id as string;
    const sent: unknown[] = [];
    const queue = {
      send: async (body: unknown) => void sent.push(body),
      sendBatch: async (items: Iterable<{ body: unknown }>) => {
        for (const m of items) sent.push(m.body);
      },
    } as unknown as Queue;
    const services = createServices({ ...env, JOBS: queue } as Env, "req_outbound_test");
    const { deliveryIds } = await services.events.emit(org.orgId, "lead.created", { lead_id: "L1" });
    expect(deliveryIds).toHaveLength(1);
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
    const d = await call("GET", `/api/event-endpoints/${endpointId}/deliveries/${deliveryIds[0]}`, {
      key: org.adminKey,
    });
    expect(await trapCount()).toBe(before);
    expect(d.status, d.text).toBe(200);
    expect(d.json.delivery.last_error).toMatch(/refused or unreachable/);
  });
});

describe("SANDBOX_ENABLED relaxes nothing; URL fields take only http(s)", () => {
  it("an SMTP host on a private address is refused with the sandbox on, and nothing is stored", async () => {
    const org = await newOrg();
    const before = await rowCounts();
    for (const host of ["127.0.0.1", "10.1.2.3", "::ffff:127.0.0.1", "localhost"]) {
      const r = await call("POST", "/api/integrations", {
        key: org.adminKey,
        body: { provider: "smtp", name: `smtp ${host}`, host, port: 587, from_email: "a@b.co" },
      });
      expect(r.status, `${host}: ${r.text}`).toBe(400);
      expect(r.json.issues[0].path).toBe("host");
    }
    expect(await rowCounts()).toEqual(before);
  });

  it.each(["javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "file:///etc/passwd"])(
    "webhook_url %s is 400 naming the field, REST and 001 alike, and nothing is stored",
    async (url) => {
      const org = await newOrg();
      const before = await rowCounts();
      const rest = await call("POST", "/api/integrations", {
        key: org.adminKey,
        body: { provider: "sendgrid", name: "x", api_key: "SG.key-0123456789", webhook_url: url },
      });
      expect(rest.status, rest.text).toBe(400);
      expect(rest.json.error).toContain("webhook_url");
      const compat = await call("POST", "/create-organization-integration", {
        key: org.adminKey,
        body: {
          org_id: org.orgId,
          integration_type: "facebook",
          name: "fb",
          access_token: "t",
          webhook_url: url,
        },
      });
      expect(compat.status, compat.text).toBe(400);
      expect(compat.json.error).toContain("webhook_url");
      expect(await rowCounts()).toEqual(before);
    },
  );
});
