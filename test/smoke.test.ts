import { describe, expect, it } from "vitest";
import { call, newOrg } from "./harness.ts";

describe("smoke", () => {
  it("health is ok and an org can list integrations", async () => {
    const h = await call("GET", "/health");
    expect(h.status).toBe(200);
    const org = await newOrg();
    const r = await call("GET", "/api/integrations", { key: org.adminKey });
    expect(r.status).toBe(200);
    expect(r.json.integrations).toEqual([]);
  });
});
