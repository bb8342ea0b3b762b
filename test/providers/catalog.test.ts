/**
 * The provider catalog (GET /api/integrations/providers) as clients see it: each provider's
 * capabilities, the hooks-derived ones included, pinned so that reshaping a provider module
 * cannot change what the catalog says it can do.
 */
import { describe, expect, it } from "vitest";
import {
  defaultProviderOf,
  ORG_CALLBACK_PROVIDERS,
  PROVIDER_IDS,
  PROVIDERS,
  providerForPath,
  SIGNUP_PROVIDER_ID,
} from "../../src/providers/registry.ts";
import { CATEGORIES } from "../../src/providers/types.ts";
import { call, newOrg } from "../harness.ts";

describe("provider catalog", () => {
  it("lists every provider with the same category, auth kind, capabilities and field names", async () => {
    const r = await call("GET", "/api/integrations/providers");
    expect(r.status).toBe(200);
    const summary = Object.fromEntries(
      r.json.providers.map(
        (p: {
          id: string;
          category: string;
          auth_kind: string;
          capabilities: unknown;
          fields: { name: string }[];
        }) => [
          p.id,
          {
            category: p.category,
            auth_kind: p.auth_kind,
            capabilities: p.capabilities,
            fields: p.fields.map((f) => f.name).join(","),
          },
        ],
      ),
    );
    expect(summary).toMatchInlineSnapshot(`
            {
              "autocount": {
                "auth_kind": "api_key",
                "capabilities": {
                  "oauth": false,
                  "push": [
                    "customers",
                    "products",
                    "invoices",
                  ],
                  "send": [],
                  "sync": [
                    "customers",
                    "products",
                    "invoices",
                  ],
                  "test": true,
                  "webhooks": false,
                },
                "category": "accounting",
                "fields": "account_book_id,key_id,api_key,debtor_control_account,sales_acc_no",
              },
              "aws_ses": {
                "auth_kind": "aws_sigv4",
                "capabilities": {
                  "oauth": false,
                  "send": [
                    "email",
                  ],
                  "sync": [],
                  "test": true,
                  "webhook_setup": "register",
                  "webhooks": true,
                },
                "category": "email",
                "fields": "access_key_id,secret_access_key,region,from_email,from_name,reply_to,configuration_set,topic_arn,sandbox_mode,default",
              },
              "aws_sns": {
                "auth_kind": "aws_sigv4",
                "capabilities": {
                  "oauth": false,
                  "send": [
                    "sms",
                  ],
                  "sync": [],
                  "test": true,
                  "webhook_setup": "register",
                  "webhooks": true,
                },
                "category": "sms",
                "fields": "from_phone_number,access_key_id,secret_access_key,region,topic_arn,sandbox_mode,default",
              },
              "facebook": {
                "auth_kind": "bearer",
                "capabilities": {
                  "accounts": "Pages",
                  "leads": true,
                  "oauth": true,
                  "send": [
                    "messenger",
                  ],
                  "sync": [
                    "insights",
                  ],
                  "test": true,
                  "webhooks": true,
                },
                "category": "facebook",
                "fields": "access_token,user_access_token,app_id,app_secret,page_id,page_name,enable_lead_ads,lead_form_id,enable_messenger,auto_create_contacts,trigger_campaign_id,sandbox_mode,default",
              },
              "google_calendar": {
                "auth_kind": "oauth2",
                "capabilities": {
                  "calendar": true,
                  "oauth": true,
                  "push": [
                    "events",
                  ],
                  "send": [],
                  "sync": [
                    "events",
                  ],
                  "test": true,
                  "webhooks": true,
                },
                "category": "calendar",
                "fields": "access_token,refresh_token,client_id,client_secret,calendar_id",
              },
              "hubspot": {
                "auth_kind": "oauth2",
                "capabilities": {
                  "oauth": true,
                  "send": [],
                  "sync": [
                    "contacts",
                    "companies",
                    "products",
                    "invoices",
                  ],
                  "test": true,
                  "webhooks": true,
                },
                "category": "crm",
                "fields": "access_token,refresh_token,private_app_token,client_id,client_secret",
              },
              "instagram": {
                "auth_kind": "bearer",
                "capabilities": {
                  "oauth": true,
                  "send": [
                    "instagram",
                  ],
                  "sync": [],
                  "test": true,
                  "webhooks": true,
                },
                "category": "social",
                "fields": "access_token,instagram_scoped_id,app_secret,sandbox_mode,default",
              },
              "mailchimp": {
                "auth_kind": "api_key",
                "capabilities": {
                  "oauth": false,
                  "send": [
                    "email",
                  ],
                  "sync": [],
                  "test": true,
                  "webhooks": true,
                },
                "category": "email",
                "fields": "api_key,from_email,from_name,reply_to,webhook_key,sandbox_mode,default",
              },
              "mailgun": {
                "auth_kind": "basic",
                "capabilities": {
                  "oauth": false,
                  "send": [
                    "email",
                  ],
                  "sync": [],
                  "test": true,
                  "webhook_setup": "register",
                  "webhooks": true,
                },
                "category": "email",
                "fields": "api_key,domain,region,from_email,from_name,reply_to,webhook_signing_key,sandbox_mode,default",
              },
              "odoo_crm": {
                "auth_kind": "json_rpc",
                "capabilities": {
                  "oauth": false,
                  "send": [],
                  "sync": [
                    "customers",
                    "products",
                    "invoices",
                  ],
                  "test": true,
                  "webhooks": false,
                },
                "category": "crm",
                "fields": "database,username,api_key,api_base_url",
              },
              "other": {
                "auth_kind": "api_key",
                "capabilities": {
                  "oauth": false,
                  "send": [],
                  "sync": [],
                  "test": true,
                  "webhooks": true,
                },
                "category": "other",
                "fields": "api_key,api_secret,webhook_secret,api_base_url",
              },
              "plivo": {
                "auth_kind": "basic",
                "capabilities": {
                  "oauth": false,
                  "send": [
                    "sms",
                  ],
                  "sync": [],
                  "test": true,
                  "webhooks": true,
                },
                "category": "sms",
                "fields": "from_phone_number,auth_id,auth_token,sandbox_mode,default",
              },
              "quickbooks": {
                "auth_kind": "oauth2",
                "capabilities": {
                  "oauth": true,
                  "push": [
                    "customers",
                    "products",
                    "invoices",
                    "payments",
                  ],
                  "send": [],
                  "sync": [
                    "customers",
                    "products",
                    "invoices",
                    "payments",
                  ],
                  "test": true,
                  "webhooks": true,
                },
                "category": "accounting",
                "fields": "access_token,refresh_token,realm_id,environment,income_account_id,client_id,client_secret,webhook_verifier_token",
              },
              "salesforce": {
                "auth_kind": "oauth2",
                "capabilities": {
                  "oauth": true,
                  "send": [],
                  "sync": [
                    "accounts",
                    "contacts",
                    "products",
                  ],
                  "test": true,
                  "webhooks": false,
                },
                "category": "crm",
                "fields": "access_token,refresh_token,instance_url,client_id,client_secret",
              },
              "sendgrid": {
                "auth_kind": "bearer",
                "capabilities": {
                  "oauth": false,
                  "send": [
                    "email",
                  ],
                  "sync": [],
                  "test": true,
                  "webhook_setup": "register",
                  "webhooks": true,
                },
                "category": "email",
                "fields": "api_key,from_email,from_name,reply_to,webhook_public_key,sandbox_mode,default",
              },
              "signup_page": {
                "auth_kind": "none",
                "capabilities": {
                  "leads": true,
                  "oauth": false,
                  "send": [],
                  "sync": [],
                  "test": false,
                  "webhooks": false,
                },
                "category": "signup_page",
                "fields": "page_url,form_fields,redirect_url,allowed_origins,auto_create_contact,apply_tag,trigger_campaign_id,honeypot_field",
              },
              "smtp": {
                "auth_kind": "smtp",
                "capabilities": {
                  "oauth": false,
                  "send": [
                    "email",
                  ],
                  "sync": [],
                  "test": true,
                  "webhooks": false,
                },
                "category": "email",
                "fields": "host,port,username,password,security,from_email,from_name,reply_to,sandbox_mode,default",
              },
              "sql_accounting": {
                "auth_kind": "aws_sigv4",
                "capabilities": {
                  "oauth": false,
                  "push": [
                    "customers",
                    "products",
                    "invoices",
                  ],
                  "send": [],
                  "sync": [
                    "customers",
                    "products",
                    "invoices",
                  ],
                  "test": true,
                  "webhooks": false,
                },
                "category": "accounting",
                "fields": "access_key,api_key,region,service,sync_modified_filter,customer_path,product_path,invoice_path,api_base_url",
              },
              "telegram": {
                "auth_kind": "bearer",
                "capabilities": {
                  "oauth": false,
                  "send": [
                    "telegram",
                  ],
                  "sync": [],
                  "test": true,
                  "webhook_setup": "register",
                  "webhooks": true,
                },
                "category": "messaging",
                "fields": "bot_token,chat_id,webhook_secret,sandbox_mode,default",
              },
              "twilio": {
                "auth_kind": "basic",
                "capabilities": {
                  "oauth": false,
                  "send": [
                    "sms",
                  ],
                  "sync": [],
                  "test": true,
                  "webhooks": true,
                },
                "category": "sms",
                "fields": "from_phone_number,account_sid,auth_token,sandbox_mode,default",
              },
              "twilio_whatsapp": {
                "auth_kind": "basic",
                "capabilities": {
                  "oauth": false,
                  "send": [
                    "whatsapp",
                  ],
                  "sync": [],
                  "test": true,
                  "webhooks": true,
                },
                "category": "whatsapp",
                "fields": "account_sid,auth_token,from_whatsapp,sandbox_mode,default",
              },
              "vonage": {
                "auth_kind": "basic",
                "capabilities": {
                  "oauth": false,
                  "send": [
                    "sms",
                  ],
                  "sync": [],
                  "test": true,
                  "webhook_setup": "register",
                  "webhooks": true,
                },
                "category": "sms",
                "fields": "from_phone_number,api_key,api_secret,signature_secret,signature_method,sandbox_mode,default",
              },
              "whatsapp": {
                "auth_kind": "bearer",
                "capabilities": {
                  "oauth": false,
                  "send": [
                    "whatsapp",
                  ],
                  "sync": [],
                  "test": true,
                  "webhook_setup": "register",
                  "webhooks": true,
                },
                "category": "whatsapp",
                "fields": "phone_number_id,business_account_id,access_token,app_secret,sandbox_mode,default",
              },
              "xero": {
                "auth_kind": "oauth2",
                "capabilities": {
                  "oauth": true,
                  "push": [
                    "customers",
                    "products",
                    "invoices",
                    "payments",
                  ],
                  "send": [],
                  "sync": [
                    "customers",
                    "products",
                    "invoices",
                    "payments",
                  ],
                  "test": true,
                  "webhooks": true,
                },
                "category": "accounting",
                "fields": "access_token,refresh_token,tenant_id,payment_account_code,client_id,client_secret,webhook_key",
              },
            }
          `);
  });

  it("derives each capability from the hook a module defines", () => {
    for (const id of PROVIDER_IDS) {
      const p = PROVIDERS[id];
      expect(p.capabilities.test, id).toBe(p.test !== undefined);
      expect(p.capabilities.send.length > 0, id).toBe(p.send !== undefined);
      expect(p.capabilities.send, id).toEqual([...(p.channels ?? [])]);
      expect(p.capabilities.webhooks, id).toBe(p.webhook !== undefined);
      expect(p.capabilities.oauth, id).toBe(p.oauth !== undefined);
      expect(p.capabilities.sync, id).toEqual(Object.keys(p.sync?.entities ?? {}));
      const leads = "leads" in p || ("publicForm" in p && p.publicForm === true);
      expect(p.capabilities.leads === true, id).toBe(leads);
    }
  });

  it("resolves the declared path aliases, category defaults, shared callback and sign-up provider", () => {
    const aliases = PROVIDER_IDS.flatMap((id) => PROVIDERS[id].pathAliases ?? []);
    expect(new Set(aliases).size).toBe(aliases.length);
    expect(providerForPath("whatsapp")?.id).toBe("twilio_whatsapp");
    expect(providerForPath("whatsapp_cloud")?.id).toBe("whatsapp");
    expect(providerForPath("sendgrid")?.id).toBe("sendgrid");
    expect(providerForPath("nope")).toBeUndefined();
    for (const category of CATEGORIES) {
      const defaults = PROVIDER_IDS.filter(
        (id) => PROVIDERS[id].category === category && PROVIDERS[id].categoryDefault,
      );
      expect(defaults.length, category).toBeLessThanOrEqual(1);
    }
    expect(defaultProviderOf("whatsapp")?.id).toBe("whatsapp");
    expect(defaultProviderOf("email")).toBeUndefined();
    expect([...ORG_CALLBACK_PROVIDERS].sort()).toEqual(["facebook", "instagram", "whatsapp"]);
    expect(SIGNUP_PROVIDER_ID).toBe("signup_page");
  });

  it("takes a whatsapp: address only where the provider declares it (Twilio WhatsApp), not for SMS", async () => {
    const org = await newOrg();
    const base = { account_sid: `AC${"1".repeat(32)}`, auth_token: "f00dfacecafe0123456789abcdef0123" };
    const wa = await call("POST", "/api/integrations/", {
      key: org.adminKey,
      body: { provider: "twilio_whatsapp", name: "WA", ...base, from_whatsapp: "whatsapp:+14155550123" },
    });
    expect(wa.status).toBe(201);
    expect(wa.json.integration.config.from_whatsapp).toBe("whatsapp:+14155550123");
    const sms = await call("POST", "/api/integrations/", {
      key: org.adminKey,
      body: { provider: "twilio", name: "SMS", ...base, from_phone_number: "whatsapp:+14155550123" },
    });
    expect(sms.status).toBe(400);
    expect(sms.json.issues).toEqual([
      { path: "from_phone_number", message: expect.stringMatching(/E\.164/) },
    ]);
    const listed = await call("GET", "/api/integrations/", { key: org.adminKey });
    expect(listed.json.integrations.map((i: { name: string }) => i.name)).toEqual(["WA"]);
  });
});

describe("simulators", () => {
  it("lists the providers that have one; the simulator is optional", async () => {
    const { SIMULATORS } = await import("../../src/sandbox/index.ts");
    const { PROVIDER_IDS } = await import("../../src/providers/registry.ts");
    const simulated = Object.keys(SIMULATORS).sort();
    // Every provider has one today; a new provider may come without.
    expect(simulated).toEqual([...PROVIDER_IDS].sort());
    expect(simulated).toEqual([
      "autocount",
      "aws_ses",
      "aws_sns",
      "facebook",
      "google_calendar",
      "hubspot",
      "instagram",
      "mailchimp",
      "mailgun",
      "odoo_crm",
      "other",
      "plivo",
      "quickbooks",
      "salesforce",
      "sendgrid",
      "signup_page",
      "smtp",
      "sql_accounting",
      "telegram",
      "twilio",
      "twilio_whatsapp",
      "vonage",
      "whatsapp",
      "xero",
    ]);
  });

  it("a provider without one is answered 501 in the sandbox, naming it", async () => {
    const { createSandboxApp, SIMULATORS } = await import("../../src/sandbox/index.ts");
    const sandbox = createSandboxApp(undefined, { telegram: SIMULATORS.telegram });
    const missing = await sandbox.request("/hubspot/crm/v3/objects/contacts?limit=1");
    expect(missing.status).toBe(501);
    expect(((await missing.json()) as { error: string }).error).toMatch(/^sandbox: hubspot has no simulator/);
    const present = await sandbox.request("/telegram/bot123456:ABCdef/getMe");
    expect(present.status).not.toBe(501);
  });
});
