/**
 * Stored secrets never leave: not in any response body, not in any log line, not in the
 * integration log or audit log, whatever route reads or writes the integration.
 */
import { describe, expect, it } from "vitest";
import { call, captureConsole, newOrg } from "./harness.ts";

const SECRETS = {
  sendgrid: "SG.leakcheck-sendgrid-7f3a9",
  fbToken: "EAA-leakcheck-page-token-91bd",
  fbAppSecret: "leakcheck-app-secret-22c1",
  refresh: "leakcheck-refresh-token-5e0f",
  twilio: "leakcheck-twilio-auth-0d44",
};

const logged = captureConsole();

describe("secrets never leave the vault", () => {
  it("across create, read, list, update, toggle, connect, logs, audit and errors", async () => {
    const org = await newOrg();
    const k = org.adminKey;
    const bodies: string[] = [];
    const record = async (...args: Parameters<typeof call>) => {
      const r = await call(...args);
      bodies.push(r.text);
      expect(r.status, `${args[0]} ${args[1]} → ${r.text}`).toBeLessThan(500);
      return r;
    };

    const sg = await record("POST", "/api/integrations", {
      key: k,
      body: { provider: "sendgrid", name: "SG", api_key: SECRETS.sendgrid, from_email: "a@b.co" },
    });
    const fb = await record("POST", "/create-organization-integration", {
      key: k,
      body: {
        org_id: org.orgId,
        integration_type: "facebook",
        name: "FB",
        access_token: SECRETS.fbToken,
        api_secret: SECRETS.fbAppSecret,
        refresh_token: SECRETS.refresh,
        config: { app_secret: SECRETS.fbAppSecret },
      },
    });
    await record("POST", "/api/integrations/twilio/connect", {
      key: k,
      body: { token: SECRETS.twilio, extra: { account_sid: "AC1", from_phone_number: "+14155550123" } },
    });
    const sgId = sg.json.integration.id;
    const fbId = fb.json.integration.id;
    await record("GET", `/api/integrations/${sgId}`, { key: k });
    await record("GET", `/organization-integration/${fbId}`, { key: k });
    await record("GET", "/api/integrations", { key: k });
    await record("GET", "/api/integrations/connected", { key: k });
    await record("GET", `/organization-integrations?org_id=${org.orgId}`, { key: k });
    await record("PATCH", `/api/integrations/${sgId}`, {
      key: k,
      body: { api_key: `${SECRETS.sendgrid}-2` },
    });
    await record("PATCH", `/api/integrations/${sgId}`, {
      key: k,
      body: { from_email: "bad", api_key: SECRETS.sendgrid },
    });
    await record("POST", "/update-organization-integration", {
      key: k,
      body: { id: fbId, access_token: SECRETS.fbToken },
    });
    await record("POST", "/toggle-organization-integration", { key: k, body: { id: fbId, active: false } });
    await record("POST", `/api/integrations/${sgId}/configure/email`, {
      key: k,
      body: { api_key: SECRETS.sendgrid },
    });
    await record("GET", `/api/integrations/${sgId}/logs`, { key: k });
    await record("GET", `/api/integrations/${fbId}/logs`, { key: k });
    await record("GET", "/api/audit-logs", { key: k });
    await record("DELETE", "/api/integrations/twilio", { key: k });
    await record("POST", "/delete-organization-integration", { key: k, body: { id: fbId } });

    const got = await call("GET", `/organization-integration/${fbId}`, { key: k });
    expect(got.status).toBe(404);
    expect(logged.lines.length).toBeGreaterThan(0);
    for (const secret of Object.values(SECRETS)) {
      for (const b of bodies) expect(b).not.toContain(secret);
      for (const l of logged.lines) expect(l).not.toContain(secret);
    }
  });
});
