/**
 * Seeding through the API: the benchmark organization with its integrations (many SendGrid ones
 * for the list routes, a Telegram one for messages, a custom one whose webhooks are signed).
 */
import { randomBytes } from "node:crypto";
import { api, randomToken } from "../scripts/lib.ts";
import { say } from "./log.ts";

/** What the routes can refer to: the seeded organization and one of its integrations. */
export interface Fixture {
  orgId: string;
  apiKey: string;
  integrationId: string;
  /** A Telegram integration (answered by the sandbox) for the message routes. */
  telegramId: string;
  /** A custom integration whose webhooks are signed the Standard Webhooks way. */
  webhookUrl: string;
  /** The same, inactive: its deliveries are verified, accepted and stored, never processed. */
  inactiveWebhookUrl: string;
}

/** The signing secret of the benchmark's webhook integration (`whsec_` + base64 of 32 bytes). */
export const WEBHOOK_SECRET = `whsec_${randomBytes(32).toString("base64")}`;
/** Concurrent API requests while seeding and submitting messages. */
export const SEED_CONCURRENCY = 32;

/** Creates the benchmark organization with `seedCount` SendGrid integrations, a Telegram one and a webhook one. */
export async function seed(base: string, adminToken: string, seedCount: number): Promise<Fixture> {
  const org = await api(base, "POST", "/admin/organizations", {
    token: adminToken,
    body: { name: "Bench Organization", slug: `bench-${Date.now()}` },
  });
  if (org.status !== 201) throw new Error(`POST /admin/organizations → HTTP ${org.status} ${org.text}`);
  const orgId: string = org.body.organization.id;
  const apiKey: string = org.body.api_key;

  say(
    `seeding ${seedCount} sendgrid integrations in organization ${orgId} (concurrency ${SEED_CONCURRENCY})`,
  );
  const started = Date.now();
  let next = 0;
  let done = 0;
  let firstId: string | undefined;
  let lastShown = 0;
  const tty = process.stdout.isTTY;
  const progress = (final = false) => {
    const now = Date.now();
    if (!final && now - lastShown < (tty ? 250 : 5_000)) return;
    lastShown = now;
    const rate = done / Math.max((now - started) / 1000, 0.001);
    const line = `  ${done}/${seedCount} (${Math.floor((100 * done) / seedCount)}%), ${rate.toFixed(0)}/s`;
    if (tty) process.stdout.write(`\r${line}${final ? "\n" : ""}`);
    else console.log(line);
  };
  const workerLoop = async () => {
    while (next < seedCount) {
      const i = next++;
      const n = String(i + 1).padStart(6, "0");
      const res = await api(base, "POST", "/api/integrations", {
        token: apiKey,
        body: {
          provider: "sendgrid",
          name: `Bench ${n}`,
          api_key: `SG.bench-${n}-${randomToken(12)}`,
          from_email: `bench${n}@example.com`,
        },
      });
      if (res.status !== 201)
        throw new Error(`POST /api/integrations (#${i + 1}) → HTTP ${res.status} ${res.text}`);
      if (i === 0) firstId = res.body.integration.id;
      done++;
      progress();
    }
  };
  await Promise.all(Array.from({ length: Math.min(SEED_CONCURRENCY, seedCount) }, workerLoop));
  progress(true);
  if (!firstId) throw new Error("seeding created nothing");
  say(`seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const telegramId = await telegramIntegration(base, apiKey);
  const webhookUrl = await webhookIntegration(base, apiKey, "Bench webhooks", true);
  const inactiveWebhookUrl = await webhookIntegration(base, apiKey, "Bench webhooks (inactive)", false);
  return { orgId, apiKey, integrationId: firstId, telegramId, webhookUrl, inactiveWebhookUrl };
}

/** Creates a Telegram integration (answered by the sandbox); returns its id. */
export async function telegramIntegration(base: string, apiKey: string): Promise<string> {
  const res = await api(base, "POST", "/api/integrations", {
    token: apiKey,
    body: { provider: "telegram", name: "Bench bot", bot_token: "123456:bench-token" },
  });
  if (res.status !== 201)
    throw new Error(`POST /api/integrations (telegram) → HTTP ${res.status} ${res.text}`);
  return res.body.integration.id;
}

/** Creates a custom integration with Standard Webhooks signing; returns its webhook URL. */
async function webhookIntegration(
  base: string,
  apiKey: string,
  name: string,
  active: boolean,
): Promise<string> {
  const res = await api(base, "POST", "/api/integrations", {
    token: apiKey,
    body: {
      provider: "other",
      name,
      is_active: active,
      api_key: "bench-key",
      api_base_url: "https://api.example.com",
      webhook_secret: WEBHOOK_SECRET,
    },
  });
  if (res.status !== 201) throw new Error(`POST /api/integrations (other) → HTTP ${res.status} ${res.text}`);
  return res.body.integration.webhook_url;
}
