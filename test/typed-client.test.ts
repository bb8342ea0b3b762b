/**
 * The typed client (clients/typescript: openapi-fetch over the types generated from
 * public/openapi.json) against the worker and D1, inside workerd: its requests go to the worker's
 * own fetch handler. Each call below is type-checked against the document by `npm run typecheck`,
 * so a route that changes its shape without the document (or the other way round) fails here.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createSwitchboardClient } from "../clients/typescript/index.ts";
import { BASE, newOrg } from "./harness.ts";

const transport = (request: Request) => exports.default.fetch(request);

describe("the typed client", () => {
  it("creates, reads, tests and lists an integration, and sends a message", async () => {
    const org = await newOrg();
    const hub = createSwitchboardClient({ baseUrl: `${BASE}/`, apiKey: org.adminKey, fetch: transport });

    const created = await hub.POST("/api/integrations", {
      body: { provider: "telegram", name: "Typed bot", bot_token: "123456:ABCdef" },
    });
    expect(created.response.status).toBe(201);
    const id = created.data?.integration.id as string;
    expect(created.data?.integration).toMatchObject({ provider: "telegram", name: "Typed bot" });
    expect(created.data?.integration.webhook_url).toMatch(/\/webhooks\/telegram\//);

    const one = await hub.GET("/api/integrations/{id}", { params: { path: { id } } });
    expect(one.data?.integration.id).toBe(id);

    const test = await hub.POST("/api/integrations/{id}/test", { params: { path: { id } } });
    expect(test.data?.ok).toBe(true);

    const list = await hub.GET("/api/integrations", { params: { query: { type: "telegram", limit: 10 } } });
    expect(list.data?.integrations.map((i) => i.id)).toEqual([id]);

    const sent = await hub.POST("/api/messages", {
      body: { integration_id: id, to: "100200300", text: "Hi" },
    });
    expect(sent.response.status).toBe(202);
    expect(sent.data?.message.status).toBe("queued");
  });

  it("answers the hub's errors as data, typed by the error schema", async () => {
    const org = await newOrg();
    const hub = createSwitchboardClient({ baseUrl: BASE, apiKey: org.memberKey, fetch: transport });
    const refused = await hub.POST("/api/integrations", {
      body: { provider: "telegram", name: "Not allowed", bot_token: "123456:ABCdef" },
    });
    expect(refused.response.status).toBe(403);
    expect(refused.error?.code).toBe("FORBIDDEN");
    const bad = await hub.GET("/api/integrations", { params: { query: { type: "nosuch" } } });
    expect(bad.response.status).toBe(400);
    expect(bad.error?.error).toMatch(/^query\.type: must be a category/);
    const anonymous = createSwitchboardClient({ baseUrl: BASE, fetch: transport });
    const catalog = await anonymous.GET("/api/integrations/providers");
    expect(catalog.data?.providers.map((p) => p.id)).toContain("telegram");
    expect((await anonymous.GET("/api/integrations")).response.status).toBe(401);
  });
});
