/** The 001 RPC dialect: exact envelopes, field names, messages and status codes of the API guide. */
import { describe, expect, it } from "vitest";
import { call, newOrg } from "./harness.ts";

const MASK = "••••••";

describe("001 dialect", () => {
  it("creates a facebook integration from org_id, integration_type, name and access_token alone", async () => {
    const org = await newOrg();
    const r = await call("POST", "/create-organization-integration", {
      key: org.adminKey,
      body: {
        org_id: org.orgId,
        integration_type: "facebook",
        name: "Company Facebook Page",
        access_token: "EAABbmNuhsFYBACl1z",
        is_active: true,
      },
    });
    expect(r.status).toBe(201);
    expect(r.json.message).toBe("Integration created successfully");
    const i = r.json.integration;
    expect(i).toMatchObject({
      org_id: org.orgId,
      integration_type: "facebook",
      name: "Company Facebook Page",
      is_active: true,
      webhook_url: `https://hub.test/webhook?org_id=${org.orgId}`,
      access_token: MASK,
      config: {},
    });
    expect(i.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(i.webhook_verify_token).toMatch(/^[A-Za-z0-9_-]{30,}$/);
    expect(i.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(r.text).not.toContain("EAABbmNuhsFYBACl1z");
  });

  it("round-trips the guide's full create body: api_key shown, other credentials masked, config kept", async () => {
    const org = await newOrg();
    const body = {
      org_id: org.orgId,
      integration_type: "facebook",
      name: "Facebook Messenger Integration",
      api_base_url: "https://graph.facebook.com/v17.0",
      webhook_url: "https://example.com/webhook",
      webhook_verify_token: "your_custom_verify_token",
      api_key: "your_api_key",
      api_secret: "your_api_secret",
      access_token: "your_access_token",
      refresh_token: "your_refresh_token",
      config: { page_id: "123456789012345", verify_token: "your_verification_token" },
      is_active: false,
    };
    const r = await call("POST", "/create-organization-integration", { key: org.adminKey, body });
    expect(r.status).toBe(201);
    expect(r.json.integration).toMatchObject({
      integration_type: "facebook",
      name: "Facebook Messenger Integration",
      is_active: false,
      api_base_url: "https://graph.facebook.com/v17.0",
      webhook_url: "https://example.com/webhook",
      webhook_verify_token: "your_custom_verify_token",
      api_key: "your_api_key",
      api_secret: MASK,
      access_token: MASK,
      refresh_token: MASK,
      config: { page_id: "123456789012345", verify_token: "your_verification_token" },
    });
    for (const s of ["your_api_secret", "your_access_token", "your_refresh_token"])
      expect(r.text).not.toContain(s);
    const got = await call("GET", `/organization-integration/${r.json.integration.id}`, {
      key: org.memberKey,
    });
    expect(got.status).toBe(200);
    expect(got.json.integration).toEqual(r.json.integration);
  });

  it("lists with ?org_id= and ?active_only=, without credentials", async () => {
    const org = await newOrg();
    for (const [name, active] of [
      ["A", true],
      ["B", false],
    ] as const) {
      await call("POST", "/create-organization-integration", {
        key: org.adminKey,
        body: {
          org_id: org.orgId,
          integration_type: "hubspot",
          name,
          access_token: "tok",
          is_active: active,
        },
      });
    }
    const all = await call("GET", `/organization-integrations?org_id=${org.orgId}`, { key: org.memberKey });
    expect(all.status).toBe(200);
    expect(all.json.integrations.map((i: { name: string }) => i.name)).toEqual(["B", "A"]);
    for (const i of all.json.integrations) {
      expect(Object.keys(i)).toEqual(
        expect.arrayContaining([
          "id",
          "org_id",
          "integration_type",
          "name",
          "is_active",
          "api_base_url",
          "webhook_url",
          "created_at",
          "updated_at",
        ]),
      );
      expect(i.access_token).toBeUndefined();
    }
    const active = await call("GET", `/organization-integrations?org_id=${org.orgId}&active_only=true`, {
      key: org.memberKey,
    });
    expect(active.json.integrations.map((i: { name: string }) => i.name)).toEqual(["A"]);
  });

  it("updates (config replaced key by key), toggles and deletes with the guide's messages", async () => {
    const org = await newOrg();
    const created = await call("POST", "/create-organization-integration", {
      key: org.adminKey,
      body: {
        org_id: org.orgId,
        integration_type: "facebook",
        name: "FB",
        access_token: "tok",
        config: { page_id: "1" },
      },
    });
    const id = created.json.integration.id;
    const upd = await call("POST", "/update-organization-integration", {
      key: org.adminKey,
      body: {
        id,
        name: "Updated Facebook Integration",
        webhook_url: "https://example.com/updated-webhook",
        config: { page_id: "987654321098765", verify_token: "updated_verify_token" },
      },
    });
    expect(upd.status).toBe(200);
    expect(upd.json.message).toBe("Integration updated successfully");
    expect(upd.json.integration).toMatchObject({
      name: "Updated Facebook Integration",
      webhook_url: "https://example.com/updated-webhook",
      config: { page_id: "987654321098765", verify_token: "updated_verify_token" },
      access_token: MASK,
    });
    const off = await call("POST", "/toggle-organization-integration", {
      key: org.adminKey,
      body: { id, active: false },
    });
    expect(off.json).toMatchObject({
      message: "Integration deactivated successfully",
      integration: { is_active: false },
    });
    const on = await call("POST", "/toggle-organization-integration", {
      key: org.adminKey,
      body: { id, active: true },
    });
    expect(on.json).toMatchObject({
      message: "Integration activated successfully",
      integration: { is_active: true },
    });
    const del = await call("POST", "/delete-organization-integration", { key: org.adminKey, body: { id } });
    expect(del.status).toBe(200);
    expect(del.json.message).toBe("Integration deleted successfully");
    const gone = await call("GET", `/organization-integration/${id}`, { key: org.adminKey });
    expect(gone.status).toBe(404);
    expect(gone.json.error).toBe("Integration not found");
  });

  it.each([
    [{ integration_type: "facebook" }, "org_id, integration_type, and name are required"],
    [{ name: "x" }, "org_id, integration_type, and name are required"],
  ])("create with %j is a 400 with the guide's message", async (partial, message) => {
    const org = await newOrg();
    const r = await call("POST", "/create-organization-integration", {
      key: org.adminKey,
      body: { org_id: org.orgId, ...partial },
    });
    expect(r.status).toBe(400);
    expect(r.json.error).toBe(message);
  });

  it("an unknown integration_type is a 400 listing the valid ones", async () => {
    const org = await newOrg();
    const r = await call("POST", "/create-organization-integration", {
      key: org.adminKey,
      body: { org_id: org.orgId, integration_type: "myspace", name: "x" },
    });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatch(/^Invalid integration_type\. Must be one of: /);
    for (const id of ["odoo_crm", "hubspot", "salesforce", "facebook", "other"])
      expect(r.json.error).toContain(id);
  });

  it("odoo_crm and other refuse private api_base_url values", async () => {
    const org = await newOrg();
    for (const url of [
      "http://127.0.0.1:8069",
      "http://169.254.169.254/latest",
      "http://10.0.0.5",
      "http://localhost:8069",
      "http://[::1]/",
    ]) {
      const r = await call("POST", "/create-organization-integration", {
        key: org.adminKey,
        body: {
          org_id: org.orgId,
          integration_type: "odoo_crm",
          name: `odoo ${url}`,
          api_base_url: url,
          api_key: "k",
        },
      });
      expect(r.status, url).toBe(400);
      expect(r.json.issues[0].path).toBe("api_base_url");
    }
    const ok = await call("POST", "/create-organization-integration", {
      key: org.adminKey,
      body: {
        org_id: org.orgId,
        integration_type: "odoo_crm",
        name: "odoo",
        api_base_url: "https://acme.odoo.com",
        api_key: "k",
      },
    });
    expect(ok.status).toBe(201);
  });

  it("update, toggle and delete without an id are 400s", async () => {
    const org = await newOrg();
    for (const path of [
      "/update-organization-integration",
      "/toggle-organization-integration",
      "/delete-organization-integration",
    ]) {
      const r = await call("POST", path, { key: org.adminKey, body: {} });
      expect(r.status, path).toBe(400);
      expect(r.json.error).toEqual(expect.any(String));
    }
  });
});
