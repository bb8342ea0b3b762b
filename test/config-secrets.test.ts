/**
 * Free-form config whose key names say secret (`client_secret`, nested `auth.password`,
 * `my_api_key`) is vaulted like a declared secret: the D1 row holds no plaintext, every dialect
 * shows it masked, an update that sends the mask back keeps it, and `null` removes it.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MASK } from "../src/lib/log.ts";
import { call, newOrg, type TestOrg } from "./harness.ts";

const CLIENT_SECRET = "cs-freeform-1f2e3d4c5b6a";
const PASSWORD = "pw-nested-9a8b7c6d5e";
const MY_API_KEY = "mk-freeform-0a1b2c3d4e";
const PLAIN = [CLIENT_SECRET, PASSWORD, MY_API_KEY];

const config = {
  region: "eu",
  client_secret: CLIENT_SECRET,
  auth: { user: "bob", password: PASSWORD },
  servers: [{ host: "a.example.com", private_key: PASSWORD }],
  my_api_key: MY_API_KEY,
  verify_token: "shown-on-purpose",
};

async function storedRow(id: string) {
  return env.DB.prepare("SELECT config, secrets, secret_fields FROM integrations WHERE id = ?")
    .bind(id)
    .first<{ config: string; secrets: string | null; secret_fields: string }>();
}

async function everyView(org: TestOrg, id: string) {
  const paths = [
    `/api/integrations/${id}`,
    "/api/integrations",
    "/api/integrations/connected",
    `/organization-integration/${id}`,
    `/organization-integrations?org_id=${org.orgId}`,
    `/api/integrations/${id}/logs`,
    "/api/audit-logs",
  ];
  const out: string[] = [];
  for (const p of paths) {
    const r = await call("GET", p, { key: org.adminKey });
    expect(r.status, `${p} → ${r.text}`).toBe(200);
    out.push(r.text);
  }
  return out;
}

describe("secret-named keys in free-form config", () => {
  it.each([
    [
      "REST",
      "/api/integrations",
      (_org: TestOrg) => ({ provider: "other", name: "Free", api_key: "k-1234567", config }),
    ],
    [
      "001",
      "/create-organization-integration",
      (org: TestOrg) => ({
        org_id: org.orgId,
        integration_type: "other",
        name: "Free",
        api_key: "k-1234567",
        config,
      }),
    ],
  ])("%s create: vaulted in D1, masked in every dialect", async (_d, path, body) => {
    const org = await newOrg();
    const r = await call("POST", path, { key: org.adminKey, body: body(org) });
    expect(r.status, r.text).toBe(201);
    const id = r.json.integration.id as string;
    for (const s of PLAIN) expect(r.text).not.toContain(s);

    const row = await storedRow(id);
    expect(row).not.toBeNull();
    for (const s of PLAIN) {
      expect(row?.config).not.toContain(s);
      expect(row?.secrets ?? "").not.toContain(s);
    }
    expect(row?.secrets).toMatch(/^v1\./);
    expect(JSON.parse(row?.secret_fields ?? "[]")).toEqual(
      expect.arrayContaining(["client_secret", "auth.password", "servers.0.private_key", "my_api_key"]),
    );

    const rest = await call("GET", `/api/integrations/${id}`, { key: org.adminKey });
    expect(rest.json.integration.config).toEqual({
      region: "eu",
      auth: { user: "bob" },
      servers: [{ host: "a.example.com" }],
      verify_token: "shown-on-purpose",
    });
    expect(rest.json.integration.secrets).toMatchObject({
      client_secret: MASK,
      "auth.password": MASK,
      "servers.0.private_key": MASK,
      my_api_key: MASK,
    });
    const compat = await call("GET", `/organization-integration/${id}`, { key: org.adminKey });
    expect(compat.json.integration.config).toEqual({
      region: "eu",
      client_secret: MASK,
      auth: { user: "bob", password: MASK },
      servers: [{ host: "a.example.com", private_key: MASK }],
      my_api_key: MASK,
      verify_token: "shown-on-purpose",
    });
    for (const text of await everyView(org, id)) for (const s of PLAIN) expect(text).not.toContain(s);
  });

  it("an update that sends the masked config back keeps the secrets; null removes one", async () => {
    const org = await newOrg();
    const r = await call("POST", "/api/integrations", {
      key: org.adminKey,
      body: { provider: "other", name: "Free", api_key: "k-1234567", config },
    });
    const id = r.json.integration.id as string;
    const shown = await call("GET", `/organization-integration/${id}`, { key: org.adminKey });
    const back = await call("POST", "/update-organization-integration", {
      key: org.adminKey,
      body: { id, config: { ...shown.json.integration.config, region: "us" } },
    });
    expect(back.status, back.text).toBe(200);
    const before = await storedRow(id);
    expect(JSON.parse(before?.secret_fields ?? "[]")).toEqual(
      expect.arrayContaining(["client_secret", "auth.password", "servers.0.private_key", "my_api_key"]),
    );
    expect(before?.config).not.toContain(MASK);

    const cleared = await call("PATCH", `/api/integrations/${id}`, {
      key: org.adminKey,
      body: { config: { auth: null, client_secret: null } },
    });
    expect(cleared.status, cleared.text).toBe(200);
    expect(cleared.json.integration.config).toMatchObject({ region: "us" });
    expect(cleared.json.integration.config.auth).toBeUndefined();
    expect(Object.keys(cleared.json.integration.secrets).sort()).toEqual(
      ["api_key", "my_api_key", "servers.0.private_key"].sort(),
    );
  });
});
