/**
 * Webhook signatures of Plivo, HubSpot, QuickBooks, Xero and Standard Webhooks (custom
 * integrations): the known-answer vectors of providers.md, the ways a request is refused
 * (tampered, wrong secret, missing header, outside the replay window, re-serialized JSON, no
 * secret), rotation, Xero's intent to receive, and each sandbox sender's requests verified by
 * the module and turned into the expected effects (Vonage's methods: signatures-vonage.test.ts).
 */
import { describe, expect, it } from "vitest";
import { provider as hubspotProvider } from "../../src/providers/hubspot/index.ts";
import { webhook as hubspotWebhook } from "../../src/providers/hubspot/webhook.ts";
import { provider as otherProvider } from "../../src/providers/other/index.ts";
import { webhook as otherWebhook } from "../../src/providers/other/webhook.ts";
import { provider as plivoProvider } from "../../src/providers/plivo/index.ts";
import { webhook as plivoWebhook } from "../../src/providers/plivo/webhook.ts";
import { provider as quickbooksProvider } from "../../src/providers/quickbooks/index.ts";
import { webhook as quickbooksWebhook } from "../../src/providers/quickbooks/webhook.ts";
import { provider as vonageProvider } from "../../src/providers/vonage/index.ts";
import { webhook as vonageWebhook } from "../../src/providers/vonage/webhook.ts";
import { hmacBase64, type ProviderWebhook } from "../../src/providers/webhooks.ts";
import { provider as xeroProvider } from "../../src/providers/xero/index.ts";
import { webhook as xeroWebhook } from "../../src/providers/xero/webhook.ts";
import { hubspot } from "../../src/sandbox/webhooks/hubspot.ts";
import { other } from "../../src/sandbox/webhooks/other.ts";
import { plivo } from "../../src/sandbox/webhooks/plivo.ts";
import { quickbooks } from "../../src/sandbox/webhooks/quickbooks.ts";
import { WEBHOOK_FAULTS, type WebhookSender } from "../../src/sandbox/webhooks/sender.ts";
import { vonage } from "../../src/sandbox/webhooks/vonage.ts";
import { xero } from "../../src/sandbox/webhooks/xero.ts";
import { fromRequest, request, reserialized, webhookContext } from "./verify-helpers.ts";

const NOW = 1_760_000_000_000;

const ctx = (secrets: Record<string, string>, now = NOW, config: Record<string, unknown> = {}) =>
  webhookContext(secrets, now, config);

describe("the providers declare their webhooks", () => {
  it("every module is wired and webhooks are on", () => {
    for (const p of [
      vonageProvider,
      plivoProvider,
      hubspotProvider,
      quickbooksProvider,
      xeroProvider,
      otherProvider,
    ]) {
      expect(p.webhook, p.id).toBeDefined();
      expect(p.capabilities.webhooks, p.id).toBe(true);
    }
    expect(vonageProvider.fields.find((f) => f.name === "signature_method")).toMatchObject({
      type: "select",
      secret: false,
      options: ["sha256", "sha512", "sha1", "md5", "md5hash"],
      default: "sha256",
    });
  });
});

describe("plivo signatures", () => {
  const TOKEN = "my_auth_token";
  const form = { "content-type": "application/x-www-form-urlencoded" };

  it("verifies the official V2 vector (URL without query + nonce), in either V2 header", async () => {
    const sig = "ehV3IKhLysWBxC1sy8INm0qGoQYdYsHwuoKjsX7FsXc=";
    const c = ctx({ auth_token: TOKEN });
    for (const header of ["x-plivo-signature-v2", "x-plivo-signature-ma-v2"]) {
      const req = request("POST", "https://answer.url", {
        ...form,
        [header]: sig,
        "x-plivo-signature-v2-nonce": "12345",
      });
      expect(await plivoWebhook.verify(req, c)).toEqual({ ok: true });
    }
    const withQuery = request(
      "POST",
      "https://answer.url?foo=bar",
      { ...form, "x-plivo-signature-v2": sig, "x-plivo-signature-v2-nonce": "12345" },
      "Text=anything",
    );
    expect(await plivoWebhook.verify(withQuery, c)).toEqual({ ok: true });
    const wrongNonce = request("POST", "https://answer.url", {
      "x-plivo-signature-v2": sig,
      "x-plivo-signature-v2-nonce": "12346",
    });
    expect(await plivoWebhook.verify(wrongNonce, c)).toMatchObject({ ok: false });
    const wrongToken = request("POST", "https://answer.url", {
      "x-plivo-signature-v2": sig,
      "x-plivo-signature-v2-nonce": "12345",
    });
    expect(await plivoWebhook.verify(wrongToken, ctx({ auth_token: "other" }))).toMatchObject({ ok: false });
  });

  it("V3 signs the URL, the sorted query, the sorted fields and the nonce (plivo-node v3Security)", async () => {
    const c = ctx({ auth_token: TOKEN });
    const sign = (s: string) => hmacBase64("SHA-256", TOKEN, s);
    const v3 = async (method: string, url: string, signed: string, body = "") =>
      plivoWebhook.verify(
        request(
          method,
          url,
          { ...form, "x-plivo-signature-v3": await sign(signed), "x-plivo-signature-v3-nonce": "n1" },
          body,
        ),
        c,
      );
    const base = "https://hub.test/webhooks/plivo/0190";
    const fields = "To=14155550100&From=14155550123&Text=hi+there";
    expect(
      await v3(
        "POST",
        `${base}?b=2&a=1`,
        `${base}?a=1&b=2.From14155550123Texthi thereTo14155550100.n1`,
        fields,
      ),
    ).toEqual({
      ok: true,
    });
    expect(await v3("POST", base, `${base}?From14155550123Texthi thereTo14155550100.n1`, fields)).toEqual({
      ok: true,
    });
    expect(await v3("POST", `${base}?b=2&a=1`, `${base}?a=1&b=2.n1`)).toEqual({ ok: true });
    expect(await v3("GET", `${base}?b=2&a=1&a=0`, `${base}?a=0&a=1&b=2.n1`)).toEqual({ ok: true });
    expect(await v3("GET", base, `${base}.n1`)).toEqual({ ok: true });
    // A field changed after signing.
    expect(
      await v3("POST", base, `${base}?From14155550123Texthi thereTo14155550100.n1`, `${fields}x`),
    ).toMatchObject({ ok: false, reason: "signature does not match" });
  });

  it("V3 accepts any of several comma-separated signatures and is never downgraded to V2", async () => {
    const base = "https://hub.test/webhooks/plivo/0190";
    const right = await hmacBase64("SHA-256", TOKEN, `${base}.n1`);
    const c = ctx({ auth_token: TOKEN });
    const several = request("GET", base, {
      "x-plivo-signature-v3": `AAAA,${right}`,
      "x-plivo-signature-v3-nonce": "n1",
    });
    expect(await plivoWebhook.verify(several, c)).toEqual({ ok: true });
    const v2 = await hmacBase64("SHA-256", TOKEN, `${base}n2`);
    const downgrade = request("GET", base, {
      "x-plivo-signature-v3": "AAAA",
      "x-plivo-signature-v3-nonce": "n1",
      "x-plivo-signature-v2": v2,
      "x-plivo-signature-v2-nonce": "n2",
    });
    expect(await plivoWebhook.verify(downgrade, c)).toMatchObject({ ok: false });
    const noNonce = request("GET", base, { "x-plivo-signature-v3": right });
    expect(await plivoWebhook.verify(noNonce, c)).toMatchObject({ ok: false });
  });

  it("refuses a request without signature headers and fails closed without an Auth Token", async () => {
    const req = request("POST", "https://answer.url", form, "From=1");
    expect(await plivoWebhook.verify(req, ctx({ auth_token: TOKEN }))).toMatchObject({ ok: false });
    expect(await plivoWebhook.verify(req, ctx({}))).toMatchObject({ ok: false, missingSecret: true });
  });
});

describe("hubspot signatures", () => {
  const SECRET = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy";
  const c = ctx({ client_secret: SECRET });
  const V1_BODY =
    '[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]';
  const v1 = (body: string, sig = "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de") =>
    request(
      "POST",
      "https://hub.test/webhooks/hubspot/0190",
      { "x-hubspot-signature": sig, "x-hubspot-signature-version": "v1" },
      body,
    );

  it("verifies the official v1 vector and refuses it for a changed or re-serialized body", async () => {
    expect(await hubspotWebhook.verify(v1(V1_BODY), c)).toEqual({ ok: true });
    expect(await hubspotWebhook.verify(v1(V1_BODY.replace("CRM", "API")), c)).toMatchObject({ ok: false });
    expect(await hubspotWebhook.verify(v1(reserialized(V1_BODY)), c)).toMatchObject({ ok: false });
    expect(await hubspotWebhook.verify(v1(V1_BODY), ctx({ client_secret: "other" }))).toMatchObject({
      ok: false,
    });
  });

  it("verifies the official v2 GET and POST vectors", async () => {
    const url = "https://www.example.com/webhook_uri";
    const headers = (sig: string) => ({ "x-hubspot-signature": sig, "x-hubspot-signature-version": "v2" });
    const getSig = "eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e";
    const postSig = "9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900";
    const body = '{"example_field":"example_value"}';
    expect(await hubspotWebhook.verify(request("GET", url, headers(getSig)), c)).toEqual({ ok: true });
    expect(await hubspotWebhook.verify(request("POST", url, headers(postSig), body), c)).toEqual({
      ok: true,
    });
    expect(await hubspotWebhook.verify(request("POST", url, headers(getSig), body), c)).toMatchObject({
      ok: false,
    });
    expect(
      await hubspotWebhook.verify(request("POST", `${url}?a=1`, headers(postSig), body), c),
    ).toMatchObject({
      ok: false,
    });
  });

  describe("v3", () => {
    const URL_ = "https://example.com/webhooks/hubspot";
    const BODY = '[{"eventId":1}]';
    const SIG = "v2xf0TxPJQEDgLAv/7oGPMHTkgq0XS6SxTzrpViUgtY=";
    const TS = 1_700_000_000_000;
    const v3 = (body = BODY, sig = SIG, ts = String(TS)) =>
      request("POST", URL_, { "x-hubspot-signature-v3": sig, "x-hubspot-request-timestamp": ts }, body);

    it("verifies the self-computed vector (METHOD + URI + body + ms timestamp)", async () => {
      expect(await hubspotWebhook.verify(v3(), ctx({ client_secret: SECRET }, TS))).toEqual({ ok: true });
    });

    it("refuses a tampered or re-serialized body, a wrong secret and missing headers", async () => {
      const at = ctx({ client_secret: SECRET }, TS);
      expect(await hubspotWebhook.verify(v3('[{"eventId":2}]'), at)).toMatchObject({ ok: false });
      expect(await hubspotWebhook.verify(v3(reserialized(BODY)), at)).toMatchObject({ ok: false });
      expect(await hubspotWebhook.verify(v3(), ctx({ client_secret: "other" }, TS))).toMatchObject({
        ok: false,
      });
      expect(await hubspotWebhook.verify(request("POST", URL_, {}, BODY), at)).toMatchObject({ ok: false });
      const noTimestamp = request("POST", URL_, { "x-hubspot-signature-v3": SIG }, BODY);
      expect(await hubspotWebhook.verify(noTimestamp, at)).toMatchObject({ ok: false });
    });

    it("refuses a timestamp more than 5 minutes old or ahead", async () => {
      const at = (now: number) => ctx({ client_secret: SECRET }, now);
      expect(await hubspotWebhook.verify(v3(), at(TS + 299_000))).toEqual({ ok: true });
      expect(await hubspotWebhook.verify(v3(), at(TS + 301_000))).toMatchObject({
        ok: false,
        reason: expect.stringContaining("too old"),
      });
      expect(await hubspotWebhook.verify(v3(), at(TS - 301_000))).toMatchObject({
        ok: false,
        reason: expect.stringContaining("future"),
      });
    });

    it("is not bypassed by a valid v1 signature next to a wrong v3 one", async () => {
      const req = request(
        "POST",
        URL_,
        {
          "x-hubspot-signature-v3": "AAAA",
          "x-hubspot-request-timestamp": String(TS),
          "x-hubspot-signature": "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de",
          "x-hubspot-signature-version": "v1",
        },
        V1_BODY,
      );
      expect(await hubspotWebhook.verify(req, ctx({ client_secret: SECRET }, TS))).toMatchObject({
        ok: false,
      });
    });
  });

  it("fails closed without a client secret", async () => {
    expect(await hubspotWebhook.verify(v1(V1_BODY), ctx({}))).toMatchObject({
      ok: false,
      missingSecret: true,
    });
  });

  it("describes one event by its id and type, several as a batch", () => {
    expect(hubspotWebhook.describe(v1(V1_BODY))).toMatchObject({ type: "contact.creation", id: "1" });
    const two =
      '[{"eventId":1,"subscriptionType":"contact.creation","objectId":11},{"eventId":2,"subscriptionType":"company.deletion","objectId":12}]';
    const described = hubspotWebhook.describe(v1(two));
    expect(described).toMatchObject({ type: "batch" });
    expect(described?.id).toBeUndefined();
    expect(hubspotWebhook.effects?.(described?.payload)).toEqual([
      { kind: "record.changed", entity: "contacts", externalId: "11", operation: "create" },
      { kind: "record.changed", entity: "companies", externalId: "12", operation: "delete" },
    ]);
  });
});

describe("quickbooks intuit-signature", () => {
  const TOKEN = "verifier_token_example";
  const BODY = '{"eventNotifications":[]}';
  const qb = (body = BODY, sig = "M6QYTvfr4z5MzO+KtzmzGJ6Q8dBkdj6sE9BG1AAbuZA=") =>
    request("POST", "https://hub.test/webhooks/quickbooks/0190", { "intuit-signature": sig }, body);

  it("verifies the self-computed vector and refuses tampered, re-serialized, wrongly keyed and unsigned bodies", async () => {
    const c = ctx({ webhook_verifier_token: TOKEN });
    expect(await quickbooksWebhook.verify(qb(), c)).toEqual({ ok: true });
    expect(await quickbooksWebhook.verify(qb('{"eventNotifications":[{}]}'), c)).toMatchObject({ ok: false });
    expect(await quickbooksWebhook.verify(qb(reserialized(BODY)), c)).toMatchObject({ ok: false });
    expect(await quickbooksWebhook.verify(qb(), ctx({ webhook_verifier_token: "other" }))).toMatchObject({
      ok: false,
    });
    const unsigned = request("POST", "https://hub.test/webhooks/quickbooks/0190", {}, BODY);
    expect(await quickbooksWebhook.verify(unsigned, c)).toMatchObject({ ok: false });
    expect(await quickbooksWebhook.verify(qb(), ctx({}))).toMatchObject({ ok: false, missingSecret: true });
  });

  it("turns both payload formats into changes of the synced entities", () => {
    const classic = {
      eventNotifications: [
        {
          realmId: "123",
          dataChangeEvent: {
            entities: [
              { name: "Customer", id: "1", operation: "Create" },
              { name: "Item", id: "2", operation: "Update" },
              { name: "Invoice", id: "3", operation: "Delete" },
              { name: "Payment", id: "4", operation: "Create" },
            ],
          },
        },
      ],
    };
    expect(quickbooksWebhook.effects?.(classic)).toEqual([
      { kind: "record.changed", entity: "customers", externalId: "1", operation: "create" },
      { kind: "record.changed", entity: "products", externalId: "2", operation: "update" },
      { kind: "record.changed", entity: "invoices", externalId: "3", operation: "delete" },
    ]);
    expect(quickbooksWebhook.routingIds?.(classic)).toEqual(["123"]);
    const cloud = [
      { id: "e1", type: "qbo.customer.updated.v1", intuitentityid: "7", intuitaccountid: "123" },
      { id: "e2", type: "qbo.item.deleted.v1", intuitentityid: "8", intuitaccountid: "123" },
    ];
    expect(quickbooksWebhook.effects?.(cloud)).toEqual([
      { kind: "record.changed", entity: "customers", externalId: "7", operation: "update" },
      { kind: "record.changed", entity: "products", externalId: "8", operation: "delete" },
    ]);
    const described = quickbooksWebhook.describe(qb(JSON.stringify(cloud)));
    expect(described).toMatchObject({ type: "batch" });
    expect(described?.id).toBeUndefined();
    expect(quickbooksWebhook.describe(qb(JSON.stringify([cloud[0]])))).toMatchObject({
      type: "qbo.customer.updated.v1",
      id: "e1",
    });
  });
});

describe("xero x-xero-signature", () => {
  const KEY = "webhook_key_example";
  const INTENT = '{"events":[],"firstEventSequence":0,"lastEventSequence":0,"entropy":"S0m3r4Nd0mt3xt"}';
  const SIG = "fvdwHepOdal5Ab6e3Y/uM7ZrVnD9Vz8qvjO16BPVXmA=";
  const xr = (body = INTENT, sig = SIG) =>
    request("POST", "https://hub.test/webhooks/xero/0190", { "x-xero-signature": sig }, body);
  const c = ctx({ webhook_key: KEY });

  it("verifies the self-computed intent-to-receive vector: stored as nothing, answered 200 with an empty body", async () => {
    expect(await xeroWebhook.verify(xr(), c)).toEqual({ ok: true });
    expect(xeroWebhook.describe(xr())).toBeNull();
    const res = xeroWebhook.accept?.();
    expect(res?.status).toBe(200);
    expect(await res?.text()).toBe("");
  });

  it("answers a wrongly signed intent to receive with 401", async () => {
    expect(await xeroWebhook.verify(xr(INTENT, "AAAA"), c)).toEqual({
      ok: false,
      reason: "signature does not match",
      status: 401,
    });
    expect(await xeroWebhook.verify(xr(), ctx({ webhook_key: "other" }))).toMatchObject({
      ok: false,
      status: 401,
    });
    expect(await xeroWebhook.verify(xr(INTENT.replace("S0m3", "Some")), c)).toMatchObject({
      ok: false,
      status: 401,
    });
    expect(await xeroWebhook.verify(xr(reserialized(INTENT)), c)).toMatchObject({ ok: false, status: 401 });
    const unsigned = request("POST", "https://hub.test/webhooks/xero/0190", {}, INTENT);
    expect(await xeroWebhook.verify(unsigned, c)).toMatchObject({ ok: false, status: 401 });
    expect(await xeroWebhook.verify(xr(), ctx({}))).toMatchObject({ ok: false, missingSecret: true });
  });

  it("turns contact and invoice events into changes", () => {
    const payload = {
      events: [
        { resourceId: "c1", eventCategory: "CONTACT", eventType: "CREATE", tenantId: "t1" },
        { resourceId: "i1", eventCategory: "INVOICE", eventType: "UPDATE", tenantId: "t1" },
        { resourceId: "s1", eventCategory: "SUBSCRIPTION", eventType: "UPDATE", tenantId: "t1" },
      ],
    };
    expect(xeroWebhook.effects?.(payload)).toEqual([
      { kind: "record.changed", entity: "customers", externalId: "c1", operation: "create" },
      { kind: "record.changed", entity: "invoices", externalId: "i1", operation: "update" },
    ]);
    expect(xeroWebhook.routingIds?.(payload)).toEqual(["t1", "t1", "t1"]);
  });
});

describe("standard webhooks (custom integrations)", () => {
  const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
  const TS = "1614265330";
  const AT = 1_614_265_330_000;
  const BODY = '{"test": 2432232314}';
  const SIG = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
  const sw = (sig = SIG, body = BODY, headers: Record<string, string> = {}) =>
    request(
      "POST",
      "https://hub.test/webhooks/other/0190",
      { "webhook-id": ID, "webhook-timestamp": TS, "webhook-signature": sig, ...headers },
      body,
    );
  const at = (secret = SECRET, now = AT) => ctx({ webhook_secret: secret }, now);

  it("verifies the official vector and describes the delivery by its webhook-id", async () => {
    expect(await otherWebhook.verify(sw(), at())).toEqual({ ok: true });
    expect(otherWebhook.describe(sw())).toEqual({ type: "event", id: ID, payload: { test: 2432232314 } });
  });

  it("accepts any matching v1 entry and ignores other versions (rotation)", async () => {
    expect(await otherWebhook.verify(sw(`v1,Zm9vYmFy ${SIG}`), at())).toEqual({ ok: true });
    expect(await otherWebhook.verify(sw(`v1a,${SIG.slice(3)} ${SIG}`), at())).toEqual({ ok: true });
    expect(await otherWebhook.verify(sw(`v1a,${SIG.slice(3)}`), at())).toMatchObject({ ok: false });
    expect(await otherWebhook.verify(sw("v1,Zm9vYmFy"), at())).toMatchObject({ ok: false });
  });

  it("accepts several configured secrets, separated by spaces or commas", async () => {
    expect(await otherWebhook.verify(sw(), at(`whsec_Zm9vYmFyYmF6 ${SECRET}`))).toEqual({ ok: true });
    expect(await otherWebhook.verify(sw(), at(`${SECRET},whsec_Zm9vYmFyYmF6`))).toEqual({ ok: true });
    expect(await otherWebhook.verify(sw(), at("whsec_Zm9vYmFyYmF6"))).toMatchObject({ ok: false });
    expect(await otherWebhook.verify(sw(), at("not base64!"))).toMatchObject({ ok: false });
  });

  it("refuses a tampered or re-serialized body, another id and missing headers", async () => {
    expect(await otherWebhook.verify(sw(SIG, '{"test": 2432232315}'), at())).toMatchObject({ ok: false });
    expect(await otherWebhook.verify(sw(SIG, '{"test":2432232314}'), at())).toMatchObject({ ok: false });
    expect(await otherWebhook.verify(sw(SIG, BODY, { "webhook-id": "msg_other" }), at())).toMatchObject({
      ok: false,
    });
    const unsigned = request(
      "POST",
      "https://hub.test/webhooks/other/0190",
      { "webhook-id": ID, "webhook-timestamp": TS },
      BODY,
    );
    expect(await otherWebhook.verify(unsigned, at())).toMatchObject({ ok: false });
  });

  it("refuses a timestamp more than 5 minutes old or ahead", async () => {
    expect(await otherWebhook.verify(sw(), at(SECRET, AT + 301_000))).toMatchObject({
      ok: false,
      reason: expect.stringContaining("too old"),
    });
    expect(await otherWebhook.verify(sw(), at(SECRET, AT - 301_000))).toMatchObject({
      ok: false,
      reason: expect.stringContaining("future"),
    });
  });

  it("fails closed without a secret", async () => {
    expect(await otherWebhook.verify(sw(), ctx({}, AT))).toMatchObject({ ok: false, missingSecret: true });
  });
});

describe("sandbox senders", () => {
  interface Case {
    name: string;
    sender: WebhookSender;
    webhook: ProviderWebhook;
    secrets: Record<string, string>;
    config: Record<string, unknown>;
    /** The scheme signs a time: `stale` and `future` must be refused. */
    timed: boolean;
  }
  const cases: Case[] = [
    {
      name: "vonage",
      sender: vonage,
      webhook: vonageWebhook,
      secrets: { signature_secret: "vonage-signature-secret" },
      config: { signature_method: "sha512", from_phone_number: "+447700900001", api_key: "a1b2c3d4" },
      timed: true,
    },
    {
      name: "plivo",
      sender: plivo,
      webhook: plivoWebhook,
      secrets: { auth_token: "plivo-auth-token" },
      config: { from_phone_number: "+14155550100", auth_id: "MA0123456789" },
      timed: false,
    },
    {
      name: "hubspot",
      sender: hubspot,
      webhook: hubspotWebhook,
      secrets: { client_secret: "hubspot-client-secret" },
      config: {},
      timed: true,
    },
    {
      name: "quickbooks",
      sender: quickbooks,
      webhook: quickbooksWebhook,
      secrets: { webhook_verifier_token: "qb-verifier-token" },
      config: { realm_id: "9130357" },
      timed: false,
    },
    {
      name: "xero",
      sender: xero,
      webhook: xeroWebhook,
      secrets: { webhook_key: "xero-webhook-key" },
      config: { tenant_id: "2d3f4c1a-0000-4000-8000-000000000001" },
      timed: false,
    },
    {
      name: "other",
      sender: other,
      webhook: otherWebhook,
      secrets: { webhook_secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" },
      config: {},
      timed: true,
    },
  ];

  const fire = async (
    c: Case,
    event: string,
    extra: Parameters<WebhookSender["build"]>[0]["data"] = undefined,
    fault?: (typeof WEBHOOK_FAULTS)[number],
  ) =>
    fromRequest(
      await c.sender.build({
        url: `https://hub.test/webhooks/${c.name}/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b`,
        secrets: c.secrets,
        config: c.config,
        event,
        ...(extra ? { data: extra } : {}),
        ...(fault ? { fault } : {}),
        now: NOW,
      }),
    );

  for (const c of cases) {
    for (const event of c.sender.events) {
      it(`${c.name} ${event}: verifies, and every fault is refused`, async () => {
        const context = ctx(c.secrets, NOW, c.config);
        expect(await c.webhook.verify(await fire(c, event), context)).toEqual({ ok: true });
        for (const fault of WEBHOOK_FAULTS) {
          const v = await c.webhook.verify(await fire(c, event, undefined, fault), context);
          if (!c.timed && (fault === "stale" || fault === "future")) expect(v, fault).toEqual({ ok: true });
          else expect(v, fault).toMatchObject({ ok: false });
        }
      });
    }
  }

  const [vonageCase, plivoCase, hubspotCase, quickbooksCase, xeroCase, otherCase] = cases as [
    Case,
    Case,
    Case,
    Case,
    Case,
    Case,
  ];

  it("vonage: an inbound message and a delivery receipt that maps back to the message", async () => {
    const inbound = vonageWebhook.describe(
      await fire(vonageCase, "inbound", {
        from: "+447700900123",
        text: "Hi there",
        provider_message_id: "0A0000001234ABCD",
      }),
    );
    expect(inbound).toMatchObject({ type: "inbound", id: "0A0000001234ABCD" });
    expect(vonageWebhook.effects?.(inbound?.payload)).toEqual([
      {
        kind: "message.inbound",
        channel: "sms",
        from: "+447700900123",
        to: "+447700900001",
        text: "Hi there",
        providerMessageId: "0A0000001234ABCD",
      },
    ]);
    const providerId = crypto.randomUUID();
    const receipt = vonageWebhook.describe(
      await fire(vonageCase, "status", {
        provider_message_id: providerId,
        message_id: "msg_01",
        status: "delivered",
      }),
    );
    expect(receipt).toMatchObject({ type: "delivered", id: `${providerId}:delivered` });
    expect(vonageWebhook.effects?.(receipt?.payload)).toEqual([
      {
        kind: "message.status",
        messageId: "msg_01",
        providerMessageId: providerId,
        status: "delivered",
        detail: "delivered",
      },
    ]);
    const expired = vonageWebhook.describe(
      await fire(vonageCase, "status", { provider_message_id: providerId, status: "expired" }),
    );
    expect(vonageWebhook.effects?.(expired?.payload)).toEqual([
      {
        kind: "message.status",
        providerMessageId: providerId,
        status: "failed",
        detail: "expired",
        error: "err-code 1",
      },
    ]);
  });

  it("plivo: an inbound message and status callbacks keyed by MessageUUID", async () => {
    const uuid = crypto.randomUUID();
    const inbound = plivoWebhook.describe(
      await fire(plivoCase, "inbound", { from: "+14155550123", text: "Yo", provider_message_id: uuid }),
    );
    expect(inbound).toMatchObject({ type: "inbound", id: uuid });
    expect(plivoWebhook.effects?.(inbound?.payload)).toEqual([
      {
        kind: "message.inbound",
        channel: "sms",
        from: "+14155550123",
        to: "+14155550100",
        text: "Yo",
        providerMessageId: uuid,
      },
    ]);
    for (const [status, mapped] of [
      ["queued", "sent"],
      ["sent", "sent"],
      ["delivered", "delivered"],
      ["undelivered", "failed"],
      ["failed", "failed"],
    ] as const) {
      const d = plivoWebhook.describe(await fire(plivoCase, "status", { provider_message_id: uuid, status }));
      expect(d).toMatchObject({ type: status, id: `${uuid}:${status}` });
      expect(plivoWebhook.effects?.(d?.payload)).toEqual([
        {
          kind: "message.status",
          providerMessageId: uuid,
          status: mapped,
          detail: status,
          ...(mapped === "failed" ? { error: "ErrorCode 200" } : {}),
        },
      ]);
    }
  });

  it("hubspot: a contact creation", async () => {
    const d = hubspotWebhook.describe(
      await fire(hubspotCase, "contact.creation", { event_id: "777", object_id: "501" }),
    );
    expect(d).toMatchObject({ type: "contact.creation", id: "777" });
    expect(hubspotWebhook.effects?.(d?.payload)).toEqual([
      { kind: "record.changed", entity: "contacts", externalId: "501", operation: "create" },
    ]);
  });

  it("quickbooks: a classic customer update and a CloudEvents invoice creation", async () => {
    const customer = quickbooksWebhook.describe(await fire(quickbooksCase, "customer", { record_id: "58" }));
    expect(customer?.id).toBeUndefined();
    expect(quickbooksWebhook.effects?.(customer?.payload)).toEqual([
      { kind: "record.changed", entity: "customers", externalId: "58", operation: "update" },
    ]);
    expect(quickbooksWebhook.routingIds?.(customer?.payload)).toEqual(["9130357"]);
    const invoice = quickbooksWebhook.describe(
      await fire(quickbooksCase, "invoice", { record_id: "130", event_id: "ce-1" }),
    );
    expect(invoice).toMatchObject({ type: "qbo.invoice.created.v1", id: "ce-1" });
    expect(quickbooksWebhook.effects?.(invoice?.payload)).toEqual([
      { kind: "record.changed", entity: "invoices", externalId: "130", operation: "create" },
    ]);
  });

  it("xero: an invoice update, and an intent to receive that stores nothing", async () => {
    const invoiceId = crypto.randomUUID();
    const d = xeroWebhook.describe(await fire(xeroCase, "invoice", { record_id: invoiceId }));
    expect(d).toMatchObject({ type: "invoice.update" });
    expect(xeroWebhook.effects?.(d?.payload)).toEqual([
      { kind: "record.changed", entity: "invoices", externalId: invoiceId, operation: "update" },
    ]);
    expect(xeroWebhook.routingIds?.(d?.payload)).toEqual([xeroCase.config.tenant_id]);
    expect(xeroWebhook.describe(await fire(xeroCase, "intent"))).toBeNull();
  });

  it("other: the payload's type and the webhook-id", async () => {
    const d = otherWebhook.describe(
      await fire(otherCase, "event", { event_id: "msg_123", type: "order.paid" }),
    );
    expect(d).toMatchObject({ type: "order.paid", id: "msg_123", payload: { type: "order.paid" } });
  });
});
