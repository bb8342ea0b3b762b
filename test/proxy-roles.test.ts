/**
 * What a member (read-only) key may do through the API proxy: only the calls the provider module
 * declares read-only. A GET is not enough (Telegram's `GET /sendMessage` sends); admin keys keep
 * full access.
 */
import { describe, expect, it } from "vitest";
import { isReadOnlyProxyCall } from "../src/providers/proxy-read-only.ts";
import { PROVIDERS } from "../src/providers/registry.ts";
import { call, newIntegration, newOrg, sandboxInbox } from "./harness.ts";

const BOT_TOKEN = "123456:ABCdef_roles-token";

const proxy = (key: string, id: string, path: string, method = "GET") =>
  call(method, `/api/integrations/${id}/proxy${path}`, { key });

describe("proxy: member keys make only declared read-only calls", () => {
  it("Telegram: a member may GET /getMe but not GET /sendMessage; an admin may", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, { provider: "telegram", name: "Bot", bot_token: BOT_TOKEN });
    const me = await proxy(org.memberKey, i.id, "/getMe");
    expect(me.status, me.text).toBe(200);
    expect(me.json.ok).toBe(true);

    const before = (await sandboxInbox("telegram")).length;
    for (const path of [
      "/sendMessage?chat_id=42&text=hi",
      "/SENDMESSAGE?chat_id=42&text=hi",
      "/getMe%2F..%2FsendMessage?chat_id=42&text=hi",
      "/getMe/sendMessage?chat_id=42&text=hi",
      "/%67etMe%2Fx",
      "/",
    ]) {
      const r = await proxy(org.memberKey, i.id, path);
      expect([400, 403], `${path}: ${r.text}`).toContain(r.status);
      if (r.status === 403) expect(r.json.error).toMatch(/read-only \(role member\).*admin key/);
    }
    const head = await proxy(org.memberKey, i.id, "/sendMessage?chat_id=42&text=hi", "HEAD");
    expect(head.status).toBe(403);
    expect((await sandboxInbox("telegram")).length).toBe(before);

    const admin = await proxy(org.adminKey, i.id, "/sendMessage?chat_id=42&text=hi");
    expect(admin.status).not.toBe(403);
  });

  it("a provider that declares no read-only calls (Mailchimp Transactional) gives members nothing", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, {
      provider: "mailchimp",
      name: "Mandrill",
      api_key: "md-roles-0123456789abcdef",
      from_email: "hello@example.com",
    });
    const r = await proxy(org.memberKey, i.id, "/api/1.0/users/ping");
    expect(r.status, r.text).toBe(403);
    expect(r.json.error).toMatch(/declares no read-only calls/);
  });

  it("REST providers: a member GET passes, and logs nothing refused", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, {
      provider: "sendgrid",
      name: "SG",
      api_key: "SG.rolestestkey.0123456789abcdefXYZ",
      from_email: "hello@example.com",
    });
    const r = await proxy(org.memberKey, i.id, "/v3/scopes");
    expect(r.status, r.text).toBe(200);
  });
});

describe("proxy: read-only declarations", () => {
  it("every provider the proxy serves declares its read-only calls, or none on purpose", () => {
    const none = Object.values(PROVIDERS)
      .filter((p) => !p.proxyReadOnly?.length)
      .map((p) => p.id)
      .sort();
    // Mandrill is POST only (the proxy turns a GET into a POST); the others have no proxy.
    expect(none).toEqual(["mailchimp", "odoo_crm", "signup_page", "smtp"]);
  });

  it.each([
    ["telegram", "GET", "/getMe", "", true],
    ["telegram", "GET", "/sendMessage", "?chat_id=1&text=x", false],
    ["telegram", "GET", "/getme", "", false],
    ["telegram", "POST", "/getMe", "", false],
    ["vonage", "GET", "/account/get-balance", "", true],
    ["vonage", "GET", "/sms/json", "?to=1&text=x", false],
    ["aws_sns", "GET", "/", "?Action=ListTopics", true],
    ["aws_sns", "GET", "/", "?Action=Publish&Message=x", false],
    ["aws_sns", "GET", "/", "?Action=ListTopics&action=Publish", false],
    ["aws_sns", "GET", "/", "", false],
    ["aws_ses", "GET", "/v2/email/account", "", true],
    ["aws_ses", "GET", "/", "?Action=SendEmail", false],
    ["aws_ses", "GET", "/v2/email/account", "?Action=SendEmail", false],
    ["facebook", "GET", "/v21.0/me", "", true],
    ["facebook", "GET", "/v21.0/me/feed", "?method=post&message=x", false],
    ["facebook", "GET", "/v21.0/me/feed", "?METHOD=post", false],
    ["salesforce", "GET", "/services/data/v61.0/query", "?q=SELECT+Id+FROM+Account", true],
    ["salesforce", "GET", "/services/apexrest/anything", "", false],
    ["hubspot", "GET", "/crm/v3/objects/contacts", "", true],
    ["hubspot", "DELETE", "/crm/v3/objects/contacts/1", "", false],
  ] as const)("%s %s %s%s → %s", (id, method, path, search, allowed) => {
    expect(isReadOnlyProxyCall(PROVIDERS[id].proxyReadOnly, method, path, search)).toBe(allowed);
  });
});
