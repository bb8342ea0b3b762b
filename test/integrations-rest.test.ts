/** The REST dialect (002/003/004) under /api/integrations: happy paths and their semantics. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, newIntegration, newOrg } from "./harness.ts";

const MASK = "••••••";

describe("REST integrations", () => {
  it("creates with integration_type + provider (002), masks secrets and stores settings in config", async () => {
    const org = await newOrg();
    const r = await call("POST", "/api/integrations/", {
      key: org.adminKey,
      body: {
        integration_type: "email",
        provider: "sendgrid",
        name: "My Email Service",
        api_key: "SG.secret-value",
        from_email: "noreply@example.com",
      },
    });
    expect(r.status).toBe(201);
    const i = r.json.integration;
    expect(i).toMatchObject({
      provider: "sendgrid",
      integration_type: "email",
      name: "My Email Service",
      status: "active",
      is_active: true,
      config: { from_email: "noreply@example.com" },
      secrets: { api_key: MASK },
      missing_fields: [],
      error_count: 0,
      last_error: null,
    });
    expect(r.text).not.toContain("SG.secret-value");
  });

  it("whatsapp with no provider means the Meta Cloud API; email with no provider is a 400 naming provider", async () => {
    const org = await newOrg();
    const wa = await newIntegration(org, { integration_type: "whatsapp", name: "WA" });
    expect(wa.provider).toBe("whatsapp");
    expect(wa.status).toBe("pending");
    expect(wa.missing_fields).toEqual(
      expect.arrayContaining(["phone_number_id", "business_account_id", "access_token"]),
    );
    expect(wa.webhook_verify_token).toEqual(expect.any(String));
    const email = await call("POST", "/api/integrations", {
      key: org.adminKey,
      body: { integration_type: "email", name: "E" },
    });
    expect(email.status).toBe(400);
    expect(email.json.issues[0].path).toBe("provider");
  });

  it("configure/{type} sets fields (002) and the integration becomes active", async () => {
    const org = await newOrg();
    const wa = await newIntegration(org, { integration_type: "whatsapp", name: "WA" });
    const r = await call("POST", `/api/integrations/${wa.id}/configure/whatsapp/`, {
      key: org.adminKey,
      body: { phone_number_id: "123456789", business_account_id: "987654321", access_token: "EAAxxxxx" },
    });
    expect(r.status).toBe(200);
    expect(r.json.message).toBe("Integration configured successfully");
    expect(r.json.integration).toMatchObject({
      status: "active",
      missing_fields: [],
      config: { phone_number_id: "123456789", business_account_id: "987654321" },
      secrets: { access_token: MASK },
    });
    const wrongType = await call("POST", `/api/integrations/${wa.id}/configure/email`, {
      key: org.adminKey,
      body: { from_email: "a@b.co" },
    });
    expect(wrongType.status).toBe(400);
    expect(wrongType.json.issues[0].path).toBe("type");
  });

  it("configure/signup maps to signup_page", async () => {
    const org = await newOrg();
    const s = await newIntegration(org, { integration_type: "signup_page", name: "Landing" });
    const r = await call("POST", `/api/integrations/${s.id}/configure/signup/`, {
      key: org.adminKey,
      body: { page_url: "https://mysite.com/signup", auto_create_contact: true, apply_tag: "Newsletter" },
    });
    expect(r.status).toBe(200);
    expect(r.json.integration.config).toMatchObject({
      page_url: "https://mysite.com/signup",
      auto_create_contact: true,
      apply_tag: "Newsletter",
    });
  });

  it("PUT and PATCH update name, state and config (merged); masked secrets sent back are ignored", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, {
      provider: "sendgrid",
      name: "SG",
      api_key: "SG.one",
      from_email: "a@b.co",
    });
    const put = await call("PUT", `/api/integrations/${i.id}/`, {
      key: org.adminKey,
      body: { name: "Updated Name", is_active: false, api_key: MASK, config: { from_name: "Acme" } },
    });
    expect(put.status).toBe(200);
    expect(put.json.integration).toMatchObject({
      name: "Updated Name",
      is_active: false,
      status: "inactive",
      config: { from_email: "a@b.co", from_name: "Acme" },
      secrets: { api_key: MASK },
    });
    const patch = await call("PATCH", `/api/integrations/${i.id}`, {
      key: org.adminKey,
      body: { is_active: true, config: { from_name: null } },
    });
    expect(patch.status).toBe(200);
    expect(patch.json.integration.status).toBe("active");
    expect(patch.json.integration.config).toEqual({ from_email: "a@b.co" });
  });

  it("lists newest first with ?type= (category or provider) and an opaque cursor", async () => {
    const org = await newOrg();
    for (let k = 0; k < 5; k++) {
      await newIntegration(org, {
        provider: "sendgrid",
        name: `SG ${k}`,
        api_key: "SG.x",
        from_email: "a@b.co",
      });
    }
    await newIntegration(org, {
      provider: "twilio",
      name: "SMS",
      account_sid: "AC1",
      auth_token: "t",
      from_phone_number: "+14155550123",
    });
    const emails = await call("GET", "/api/integrations?type=email", { key: org.memberKey });
    expect(emails.json.integrations).toHaveLength(5);
    const sms = await call("GET", "/api/integrations?type=twilio", { key: org.memberKey });
    expect(sms.json.integrations.map((x: { name: string }) => x.name)).toEqual(["SMS"]);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
      const page = await call("GET", `/api/integrations?limit=2${q}`, { key: org.memberKey });
      expect(page.status).toBe(200);
      expect(page.json.integrations.length).toBeLessThanOrEqual(2);
      seen.push(...page.json.integrations.map((x: { name: string }) => x.name));
      cursor = page.json.next_cursor;
    } while (cursor);
    expect(seen).toEqual(["SMS", "SG 4", "SG 3", "SG 2", "SG 1", "SG 0"]);
  });

  it("every integration path takes a provider id in place of the integration's, as sync does", async () => {
    const org = await newOrg();
    const bot = await newIntegration(org, { provider: "telegram", name: "Bot", bot_token: "123456:ABCdef" });
    const test = await call("POST", "/api/integrations/telegram/test", { key: org.adminKey });
    expect(test.status, test.text).toBe(200);
    expect(test.json.integration.id).toBe(bot.id);
    const logs = await call("GET", "/api/integrations/telegram/logs", { key: org.memberKey });
    expect(logs.status).toBe(200);
    expect(logs.json.logs.length).toBeGreaterThan(0);
    const one = await call("GET", "/api/integrations/telegram", { key: org.memberKey });
    expect(one.json.integration.id).toBe(bot.id);
    const events = await call("GET", "/api/integrations/telegram/webhook-events", { key: org.memberKey });
    expect(events.status).toBe(200);
    // With two of the provider, the path names one only with ?integration_id=.
    const second = await newIntegration(org, {
      provider: "telegram",
      name: "Bot 2",
      bot_token: "654321:ABCdef",
    });
    const ambiguous = await call("POST", "/api/integrations/telegram/test", { key: org.adminKey });
    expect(ambiguous.status).toBe(409);
    expect(ambiguous.json.error).toMatch(/integration_id/);
    const chosen = await call("POST", `/api/integrations/telegram/test?integration_id=${second.id}`, {
      key: org.adminKey,
    });
    expect(chosen.json.integration.id).toBe(second.id);
    // A provider the organization has none of is 404; a word that is neither is not found either.
    expect((await call("POST", "/api/integrations/salesforce/test", { key: org.adminKey })).status).toBe(404);
    expect((await call("POST", "/api/integrations/nosuch/test", { key: org.adminKey })).status).toBe(404);
    // Another organization's integration is not reached by its provider's name.
    const other = await newOrg();
    expect((await call("GET", "/api/integrations/telegram", { key: other.memberKey })).status).toBe(404);
  });

  it("a test sets last_tested_at, never last_sync_at; an error outlasts switching off and on", async () => {
    const org = await newOrg();
    const bot = await newIntegration(org, {
      provider: "telegram",
      name: "Bot",
      bot_token: "123456:invalid-token",
    });
    const failed = await call("POST", `/api/integrations/${bot.id}/test`, { key: org.adminKey });
    expect(failed.json.ok).toBe(false);
    expect(failed.json.integration).toMatchObject({ status: "error", error_count: 1, last_sync_at: null });
    expect(failed.json.integration.last_tested_at).toEqual(expect.any(String));
    const lastError = failed.json.integration.last_error as string;
    expect(lastError).toMatch(/Unauthorized/);

    // Off and on again: still in error, with its reason, until a test passes.
    const off = await call("PATCH", `/api/integrations/${bot.id}`, {
      key: org.adminKey,
      body: { is_active: false },
    });
    expect(off.json.integration).toMatchObject({ status: "inactive", last_error: lastError, error_count: 1 });
    const on = await call("PATCH", `/api/integrations/${bot.id}`, {
      key: org.adminKey,
      body: { is_active: true },
    });
    expect(on.json.integration).toMatchObject({ status: "error", last_error: lastError, error_count: 1 });
    const asked = await call("PATCH", `/api/integrations/${bot.id}`, {
      key: org.adminKey,
      body: { status: "active" },
    });
    expect(asked.json.integration.status).toBe("error");

    // New credentials clear it (untested); a passing test records its time and still no sync.
    const fixed = await call("PATCH", `/api/integrations/${bot.id}`, {
      key: org.adminKey,
      body: { bot_token: "123456:ABCdef" },
    });
    expect(fixed.json.integration).toMatchObject({ status: "active", last_error: null, error_count: 0 });
    const passed = await call("POST", `/api/integrations/${bot.id}/test`, { key: org.adminKey });
    expect(passed.json.ok).toBe(true);
    expect(passed.json.integration).toMatchObject({ status: "active", error_count: 0, last_sync_at: null });
    expect(passed.json.integration.last_tested_at >= failed.json.integration.last_tested_at).toBe(true);
  });

  it("an unknown filter value is a 400 naming the valid values, not an empty page", async () => {
    const org = await newOrg();
    const type = await call("GET", "/api/integrations?type=nosuch", { key: org.memberKey });
    expect(type.status).toBe(400);
    expect(type.json.code).toBe("INVALID_FIELD");
    expect(type.json.issues[0].path).toBe("query.type");
    expect(type.json.error).toMatch(
      /^query\.type: must be a category \(email, whatsapp, sms, .*\) or a provider id \(.*sendgrid.*\)$/,
    );
    const provider = await call("GET", "/api/integrations?provider=nosuch", { key: org.memberKey });
    expect(provider.status).toBe(400);
    expect(provider.json.error).toMatch(/^query\.provider: must be a provider id \(.*twilio.*\)$/);
    for (const [path, valid] of [
      ["/api/messages?status=nosuch", "queued"],
      ["/api/events?type=nosuch", "lead.created"],
      ["/api/dead-letters?kind=nosuch", "message.send"],
    ] as const) {
      const r = await call("GET", path, { key: org.adminKey });
      expect(r.status, path).toBe(400);
      expect(r.json.error, path).toContain(valid);
    }
  });

  it("004 connect upserts one integration per provider and never returns the token", async () => {
    const org = await newOrg();
    const first = await call("POST", "/api/integrations/sendgrid/connect/", {
      key: org.adminKey,
      body: { token: "SG.first-token", extra: { from_email: "noreply@example.com" } },
    });
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({
      status: "ok",
      ok: true,
      integration: { provider: "sendgrid", is_active: true, extra: { from_email: "noreply@example.com" } },
    });
    expect(first.text).not.toContain("SG.first-token");
    const second = await call("POST", "/api/integrations/sendgrid/connect", {
      key: org.adminKey,
      body: { token: "SG.second-token", extra: { from_email: "other@example.com" } },
    });
    expect(second.json.integration.id).toBe(first.json.integration.id);
    expect(second.json.integration.extra.from_email).toBe("other@example.com");
    const list = await call("GET", "/api/integrations/", { key: org.adminKey });
    expect(list.json.integrations).toHaveLength(1);
    expect(list.text).not.toContain("SG.second-token");
  });

  it("004 connect requires the provider's extra fields, naming them", async () => {
    const org = await newOrg();
    const r = await call("POST", "/api/integrations/whatsapp/connect", {
      key: org.adminKey,
      body: { token: "twilio-auth-token", extra: { account_sid: "AC123" } },
    });
    expect(r.status).toBe(400);
    expect(r.json.issues.map((i: { path: string }) => i.path)).toContain("extra.from_whatsapp");
    const list = await call("GET", "/api/integrations", { key: org.adminKey });
    expect(list.json.integrations).toHaveLength(0);
  });

  it("004 whatsapp is Twilio WhatsApp; DELETE {provider} disconnects, keeps history, wipes credentials", async () => {
    const org = await newOrg();
    const c = await call("POST", "/api/integrations/whatsapp/connect", {
      key: org.adminKey,
      body: {
        token: "twilio-auth-token",
        extra: { account_sid: "AC123", from_whatsapp: "whatsapp:+14155550123" },
      },
    });
    expect(c.json.integration.provider).toBe("twilio_whatsapp");
    const d = await call("DELETE", "/api/integrations/whatsapp/", { key: org.adminKey });
    expect(d.status).toBe(200);
    expect(d.json).toEqual({ status: "ok", ok: true, message: "Disconnected" });
    const got = await call("GET", `/api/integrations/${c.json.integration.id}`, { key: org.adminKey });
    expect(got.json.integration).toMatchObject({ is_active: false, status: "inactive", secrets: {} });
    expect(got.json.integration.disconnected_at).toEqual(expect.any(String));
    const logs = await call("GET", `/api/integrations/${c.json.integration.id}/logs`, { key: org.adminKey });
    expect(logs.json.logs.map((l: { action: string }) => l.action)).toEqual(["disconnected", "created"]);
    const again = await call("POST", "/api/integrations/whatsapp/disconnect", { key: org.adminKey });
    expect(again.status).toBe(200);
  });

  it("per-provider routes need ?integration_id= when the organization has several", async () => {
    const org = await newOrg();
    const a = await newIntegration(org, { provider: "telegram", name: "Bot A", bot_token: "1:a" });
    await newIntegration(org, { provider: "telegram", name: "Bot B", bot_token: "2:b" });
    const ambiguous = await call("DELETE", "/api/integrations/telegram", { key: org.adminKey });
    expect(ambiguous.status).toBe(409);
    const named = await call("DELETE", `/api/integrations/telegram?integration_id=${a.id}`, {
      key: org.adminKey,
    });
    expect(named.status).toBe(200);
  });

  it("DELETE by id removes the integration", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, { provider: "telegram", name: "Bot", bot_token: "1:a" });
    const d = await call("DELETE", `/api/integrations/${i.id}/`, { key: org.adminKey });
    expect(d.status).toBe(200);
    expect((await call("GET", `/api/integrations/${i.id}`, { key: org.adminKey })).status).toBe(404);
  });

  it("connected lists active integrations; stats counts by type and status", async () => {
    const org = await newOrg();
    await newIntegration(org, { provider: "telegram", name: "Bot", bot_token: "1:a" });
    await newIntegration(org, {
      provider: "sendgrid",
      name: "SG",
      api_key: "k",
      from_email: "a@b.co",
      is_active: false,
    });
    await newIntegration(org, { integration_type: "whatsapp", name: "WA" });
    const connected = await call("GET", "/api/integrations/connected", { key: org.memberKey });
    expect(connected.json.integrations.map((i: { name: string }) => i.name).sort()).toEqual(["Bot", "WA"]);
    const stats = await call("GET", "/api/integrations/stats/", { key: org.memberKey });
    expect(stats.json).toMatchObject({
      total: 3,
      by_type: { messaging: 1, email: 1, whatsapp: 1 },
      by_status: { active: 1, inactive: 1, pending: 1, error: 0 },
      error_rate: 0,
    });
  });

  it("duplicate names per provider are 409 and write nothing", async () => {
    const org = await newOrg();
    await newIntegration(org, { provider: "telegram", name: "Bot", bot_token: "1:a" });
    const dup = await call("POST", "/api/integrations", {
      key: org.adminKey,
      body: { provider: "telegram", name: "Bot", bot_token: "2:b" },
    });
    expect(dup.status).toBe(409);
    const list = await call("GET", "/api/integrations", { key: org.adminKey });
    expect(list.json.integrations).toHaveLength(1);
  });

  it("concurrent creates with one name give one integration and 409s", async () => {
    const org = await newOrg();
    const results = await Promise.all(
      [1, 2, 3, 4, 5].map(() =>
        call("POST", "/api/integrations", {
          key: org.adminKey,
          body: { provider: "telegram", name: "Racer", bot_token: "1:a" },
        }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
    const list = await call("GET", "/api/integrations", { key: org.adminKey });
    expect(list.json.integrations).toHaveLength(1);
  });

  it("concurrent updates of one integration all land or answer 409, never lose a secret", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, {
      provider: "sendgrid",
      name: "SG",
      api_key: "SG.k",
      from_email: "a@b.co",
    });
    const results = await Promise.all(
      ["a", "b", "c", "d"].map((n) =>
        call("PATCH", `/api/integrations/${i.id}`, {
          key: org.adminKey,
          body: { config: { [`k_${n}`]: n } },
        }),
      ),
    );
    const landed = results.filter((r) => r.status === 200).length;
    expect(results.every((r) => r.status === 200 || r.status === 409)).toBe(true);
    const got = await call("GET", `/api/integrations/${i.id}`, { key: org.adminKey });
    expect(Object.keys(got.json.integration.config).filter((k) => k.startsWith("k_"))).toHaveLength(landed);
    expect(got.json.integration.secrets).toEqual({ api_key: MASK });
  });

  it("logs record create/update/toggle and the audit log records who did it, redacted", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, {
      provider: "sendgrid",
      name: "SG",
      api_key: "SG.audit-secret",
      from_email: "a@b.co",
    });
    await call("PATCH", `/api/integrations/${i.id}`, {
      key: org.adminKey,
      body: { api_key: "SG.audit-secret-2" },
    });
    await call("PATCH", `/api/integrations/${i.id}`, { key: org.adminKey, body: { is_active: false } });
    const logs = await call("GET", `/api/integrations/${i.id}/logs`, { key: org.memberKey });
    expect(logs.json.logs.map((l: { action: string }) => l.action)).toEqual([
      "updated",
      "updated",
      "created",
    ]);
    expect(logs.json.logs[1].details.changed_vault_fields).toEqual(["api_key"]);
    const audit = await call("GET", "/api/audit-logs", { key: org.adminKey });
    expect(audit.status).toBe(200);
    expect(audit.json.audit_logs.map((a: { action: string }) => a.action)).toEqual(
      expect.arrayContaining([
        "integration.created",
        "integration.updated",
        "organization.created",
        "api_key.created",
      ]),
    );
    expect(audit.json.audit_logs[0].actor).toMatch(/^api_key:key_/);
    expect(audit.text).not.toContain("SG.audit-secret");
    const memberAudit = await call("GET", "/api/audit-logs", { key: org.memberKey });
    expect(memberAudit.status).toBe(403);
  });

  it("serves the provider catalog without a key, with fields a UI can render", async () => {
    const r = await call("GET", "/api/integrations/providers");
    expect(r.status).toBe(200);
    const ids = r.json.providers.map((p: { id: string }) => p.id);
    for (const id of [
      "hubspot",
      "salesforce",
      "odoo_crm",
      "facebook",
      "instagram",
      "whatsapp",
      "twilio_whatsapp",
      "sendgrid",
      "mailgun",
      "aws_ses",
      "smtp",
      "mailchimp",
      "twilio",
      "vonage",
      "aws_sns",
      "plivo",
      "telegram",
      "google_calendar",
      "quickbooks",
      "xero",
      "sql_accounting",
      "autocount",
      "signup_page",
      "other",
    ]) {
      expect(ids).toContain(id);
    }
    for (const p of r.json.providers) {
      expect(p).toMatchObject({
        category: expect.any(String),
        display_name: expect.any(String),
        auth_kind: expect.any(String),
      });
      for (const f of p.fields) {
        expect(f).toMatchObject({
          name: expect.any(String),
          label: expect.any(String),
          type: expect.any(String),
          required: expect.any(Boolean),
          secret: expect.any(Boolean),
        });
        if (f.secret) expect(f.type).toBe("password");
      }
    }
    // Where the customer says where the API is, the form has a field for it: the integration's api_base_url.
    for (const id of ["odoo_crm", "sql_accounting", "other"]) {
      const p = r.json.providers.find((x: { id: string }) => x.id === id);
      expect(p.customer_base_url, id).toBe(true);
      expect(
        p.fields.find((f: { name: string }) => f.name === "api_base_url"),
        id,
      ).toMatchObject({
        label: "Base URL",
        type: "url",
        location: "integration",
        placeholder: expect.stringMatching(/^https:\/\//),
      });
    }
    expect(
      r.json.providers
        .find((x: { id: string }) => x.id === "sendgrid")
        .fields.map((f: { name: string }) => f.name),
    ).not.toContain("api_base_url");
  });

  it("the base URL a form sends is the integration's own, shown back as api_base_url", async () => {
    const org = await newOrg();
    const odoo = await call("POST", "/api/integrations", {
      key: org.adminKey,
      body: {
        provider: "odoo_crm",
        name: "Odoo",
        database: "acme",
        username: "admin@example.com",
        api_key: "odoo-key-123",
        api_base_url: "https://acme.odoo.com",
      },
    });
    expect(odoo.status, odoo.text).toBe(201);
    expect(odoo.json.integration.config.api_base_url).toBeUndefined();
    const got = await call("GET", `/api/integrations/${odoo.json.integration.id}`, { key: org.memberKey });
    // In the sandbox every call goes to the simulator; the stored URL is the customer's.
    const row = await env.DB.prepare("SELECT api_base_url FROM integrations WHERE id = ?")
      .bind(odoo.json.integration.id)
      .first<{ api_base_url: string }>();
    expect(row?.api_base_url).toBe("https://acme.odoo.com");
    expect(got.status).toBe(200);
  });
});
