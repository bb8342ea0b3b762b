/**
 * The one redactor: a table of secret values (and their encodings) and credential shapes it
 * removes and ordinary text it keeps; then, end to end, a provider that quotes the refused key
 * back leaves no trace of it in the test answer, `last_error`, the integration log, the
 * `integration.error` event, the proxy answer or the worker's log lines.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { toBase64, utf8 } from "../src/crypto/encoding.ts";
import { REDACTED, redactText, redactTokens, secretValues } from "../src/lib/redact.ts";
import { ProviderError } from "../src/providers/runtime.ts";
import { createServices } from "../src/services/index.ts";
import { call, captureConsole, newIntegration, newOrg } from "./harness.ts";

const b64 = (s: string) => toBase64(utf8(s));
const SECRET = "s3cr3t/Val+ue=9xYz";

describe("redactText: the integration's secret values", () => {
  const cases: [string, string][] = [
    ["as is", `the key ${SECRET} is wrong`],
    ["URL-encoded", `GET /v1?key=${encodeURIComponent(SECRET)}&a=1`],
    ["form-encoded", `key=${encodeURIComponent(SECRET).replace(/%20/g, "+")}`],
    ["JSON-escaped", JSON.stringify({ echoed: SECRET })],
    ["base64", `token ${b64(SECRET)}`],
    ["base64url", `token ${b64(SECRET).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")}`],
    ["Basic user:secret", `Authorization: Basic ${b64(`AC0123:${SECRET}`)}`],
    ["Basic secret:x after other text", `sent ${b64(`${SECRET}:x`)} twice`],
  ];
  it.each(cases)("%s", (_label, text) => {
    const out = redactText(text, [SECRET], { shapes: false });
    expect(out).toContain(REDACTED);
    expect(out).not.toContain(SECRET);
    expect(out).not.toContain(encodeURIComponent(SECRET));
    expect(out).not.toContain(b64(SECRET).replace(/=+$/, ""));
  });

  it("leaves text without the secret alone, and ignores values too short to search for", () => {
    expect(redactText("Unauthorized (HTTP 401)", [SECRET])).toBe("Unauthorized (HTTP 401)");
    expect(redactText("a b c abc", ["abc"])).toBe("a b c abc");
  });

  it("secretValues splits rotation lists, so each secret of a setting is searched", () => {
    const values = secretValues({ webhook_secret: "whsecAAAAAAAA whsecBBBBBBBB", api_key: "k-123456" });
    expect(redactText("got whsecBBBBBBBB", values, { shapes: false })).toBe(`got ${REDACTED}`);
  });
});

describe("redactTokens: credential shapes", () => {
  const hidden: [string, string, string][] = [
    ["Bearer", "Authorization: Bearer abcDEF123456ghiJKL", "abcDEF123456ghiJKL"],
    ["Basic", "Authorization: Basic dXNlcjpwYXNzd29yZDEyMw==", "dXNlcjpwYXNzd29yZDEyMw"],
    ["Stripe", "No such key sk_live_51HxYzAbCdEf0123456789", "sk_live_51HxYzAbCdEf0123456789"],
    ["Slack", "token xoxb-1234567890-0987654321-AbCdEfGhIj", "xoxb-1234567890-0987654321-AbCdEfGhIj"],
    ["Meta", "Invalid token EAABsbCS1iHgBAKZBZAbcdef0123456789xyz", "EAABsbCS1iHgBAKZBZAbcdef0123456789xyz"],
    [
      "SendGrid",
      "key 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",
      "SG.ngeVfQFYQlKU0ufo8x5d1A",
    ],
    ["AWS key id", "The AWS Access Key Id AKIAIOSFODNN7EXAMPLE does not exist", "AKIAIOSFODNN7EXAMPLE"],
    [
      "AWS secret",
      "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ],
    [
      "JWT",
      "id_token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
      "eyJzdWIiOiIxMjM0NTY3ODkwIn0",
    ],
    ["Mailgun", "Forbidden: key-3ax6xnjp29jd6fds4gc373sgvjxteol0", "3ax6xnjp29jd6fds4gc373sgvjxteol0"],
    [
      "Mailgun hex",
      "key 0123456789abcdef0123456789abcdef-12345678-9abcdef0",
      "0123456789abcdef0123456789abcdef",
    ],
    [
      "Telegram",
      "POST https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1/sendMessage",
      "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1",
    ],
    [
      "api_key= in a query",
      "GET /v1/items?api_key=9f86d081884c7d659a2feaa0c55ad015&page=2",
      "9f86d081884c7d659a2feaa0c55ad015",
    ],
    [
      "token in JSON",
      '{"access_token":"ya1.AHES6ZRVmB7fkLtd1XTmq6mo0S1wqZZi3-Lh_s"}',
      "AHES6ZRVmB7fkLtd1XTmq6mo0S1wqZZi3",
    ],
    ["password (any length)", "login failed for password: hunter2", "hunter2"],
    ["URL password", "could not reach https://bob:pa55word@db.example.com/x", "pa55word"],
    ["GitHub", "ghp_16C7e42F292c6912E7710c838347Ae178B4a", "ghp_16C7e42F292c6912E7710c838347Ae178B4a"],
    [
      "PEM key",
      "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----",
      "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
    ],
  ];
  it.each(hidden)("%s", (_label, text, secret) => {
    const out = redactTokens(text);
    expect(out).not.toContain(secret);
    expect(out).toContain(REDACTED);
  });

  const kept = [
    "Custom API: unauthorized (HTTP 401)",
    "HubSpot: Authentication credentials not found (HTTP 401)",
    "the integration has no access_token configured",
    "Basic authentication required",
    'Bearer realm="api", error="invalid_token"',
    "token_type=bearer&expires_in=3600",
    "verify_token=your_verification_token_0123456789",
    "Message msg_01J0ABCDEF sent (SM0123456789abcdef0123456789abcdef)",
    "gave up after 5 attempts: no answer within 10000 ms (timeout)",
  ];
  it.each(kept)("keeps %s", (text) => {
    expect(redactTokens(text)).toBe(text);
  });

  it("every provider error's message goes through it", () => {
    const e = new ProviderError("auth", "refused Bearer abcDEF123456ghiJKL (HTTP 401)");
    expect(e.message).toBe(`refused Bearer ${REDACTED} (HTTP 401)`);
  });
});

describe("a provider that quotes the refused key back", () => {
  const logged = captureConsole();

  // No known token shape: only knowing the integration's secrets finds it.
  const KEY = "custom-echo-invalid-Q9x7Lm2Pz4Tt";

  it("test connection: no trace in the answer, last_error, the log, the event or log lines", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, {
      provider: "other",
      name: "Echoing API",
      api_base_url: "https://api.example.com/v1",
      api_key: KEY,
    });
    const r = await call("POST", `/api/integrations/${i.id}/test`, { key: org.adminKey });
    expect(r.status).toBe(200);
    expect(r.json.ok).toBe(false);
    expect(r.json.message).toContain(`Incorrect API key provided: ${REDACTED}`);
    expect(r.json.integration.status).toBe("error");
    expect(r.json.integration.last_error).toContain(REDACTED);

    const bodies = [
      r.text,
      (await call("GET", `/api/integrations/${i.id}`, { key: org.adminKey })).text,
      (await call("GET", `/organization-integration/${i.id}`, { key: org.adminKey })).text,
      (await call("GET", `/api/integrations/${i.id}/logs`, { key: org.adminKey })).text,
    ];
    const events = await call("GET", "/api/events?type=integration.error", { key: org.adminKey });
    expect(events.status).toBe(200);
    const emitted = events.json.events.filter(
      (e: { payload?: { integration_id?: string }; data?: { integration_id?: string } }) =>
        (e.payload ?? e.data)?.integration_id === i.id,
    );
    expect(emitted.length).toBe(1);
    bodies.push(events.text);
    for (const b of bodies) expect(b).not.toContain(KEY);
    for (const l of logged.lines) expect(l).not.toContain(KEY);
  });

  it("proxy: an answer quoting the key, also URL-encoded, is passed back without it", async () => {
    const org = await newOrg();
    const key = "proxy+key/0123456789=";
    const i = await newIntegration(org, {
      provider: "other",
      name: "Echo",
      api_base_url: "https://hub.test/sandbox/other",
      api_key: key,
    });
    // The simulator's echo repeats the query string as sent: the key percent-encoded.
    const r = await call("GET", `/api/integrations/${i.id}/proxy/_echo?k=${encodeURIComponent(key)}`, {
      key: org.adminKey,
    });
    expect(r.status).toBe(200);
    expect(r.json.query).toContain(REDACTED);
    expect(r.text).not.toContain(key);
    expect(r.text).not.toContain(encodeURIComponent(key));
  });
});

describe("Connections.run: the one path of sends, sync pages, pushes and tests", () => {
  it("a provider error quoting any of the integration's secrets leaves without them", async () => {
    const org = await newOrg();
    const KEY = "run-key-Zx81Qw72Er";
    const SECRET = "run-secret-Lp03Mn94Bv";
    const i = await newIntegration(org, {
      provider: "other",
      name: "Run",
      api_base_url: "https://api.example.com/v1",
      api_key: KEY,
      api_secret: SECRET,
    });
    const services = createServices(env, "req_redaction_test");
    const row = await services.integrations.get(org.orgId, i.id);
    const basic = toBase64(utf8(`${KEY}:${SECRET}`));
    const failing = services.connections.run(row, async () => {
      throw new ProviderError("transient", `upstream said: key=${KEY} secret ${SECRET} auth ${basic}`, {
        status: 503,
        retryAfterSeconds: 7,
      });
    });
    const e = await failing.catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ProviderError);
    const err = e as ProviderError;
    expect(err.message).not.toContain(KEY);
    expect(err.message).not.toContain(SECRET);
    expect(err.message).not.toContain(basic);
    expect(err.message).toContain("upstream said:");
    expect(err).toMatchObject({ kind: "transient", opts: { status: 503, retryAfterSeconds: 7 } });
    await expect(services.connections.run(row, async (ctx) => ctx.secrets.api_key)).resolves.toBe(KEY);
  });
});
