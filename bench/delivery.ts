/**
 * End-to-end delivery: submit messages, then wait until the queue consumer has sent them all
 * through the sandbox.
 */
import { api } from "../scripts/lib.ts";
import { say } from "./log.ts";
import { SEED_CONCURRENCY, telegramIntegration } from "./seed.ts";

/** How an end-to-end delivery run went. */
export interface Delivery {
  count: number;
  submitSeconds: number;
  totalSeconds: number;
  sent: number;
  failed: number;
}

/**
 * Submits `messageCount` messages to a new organization's Telegram integration, then polls the
 * stats until the queue consumer has sent (or failed) them all.
 */
export async function deliverMessages(
  base: string,
  adminToken: string,
  messageCount: number,
): Promise<Delivery> {
  const org = await api(base, "POST", "/admin/organizations", {
    token: adminToken,
    body: { name: "Bench delivery", slug: `bench-delivery-${Date.now()}` },
  });
  if (org.status !== 201) throw new Error(`POST /admin/organizations → HTTP ${org.status} ${org.text}`);
  const apiKey: string = org.body.api_key;
  const telegramId = await telegramIntegration(base, apiKey);
  say(`delivering ${messageCount} messages end to end through the sandbox`);
  const started = Date.now();
  let next = 0;
  const submitLoop = async () => {
    while (next < messageCount) {
      const i = next++;
      const res = await api(base, "POST", "/api/messages", {
        token: apiKey,
        body: { integration_id: telegramId, to: String(100000 + i), text: `Delivery ${i}` },
      });
      if (res.status !== 202)
        throw new Error(`POST /api/messages (#${i + 1}) → HTTP ${res.status} ${res.text}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(SEED_CONCURRENCY, messageCount) }, submitLoop));
  const submitSeconds = (Date.now() - started) / 1000;
  say(`  submitted in ${submitSeconds.toFixed(1)} s; waiting for the queue to send them`);
  let lastDone = -1;
  let lastProgressAt = Date.now();
  for (;;) {
    const stats = await api(base, "GET", "/api/integrations/stats", { token: apiKey });
    const byStatus = stats.body.messages.by_status as Record<string, number>;
    const done = (byStatus.sent ?? 0) + (byStatus.failed ?? 0);
    if (done >= messageCount) {
      return {
        count: messageCount,
        submitSeconds,
        totalSeconds: (Date.now() - started) / 1000,
        sent: byStatus.sent ?? 0,
        failed: byStatus.failed ?? 0,
      };
    }
    if (done !== lastDone) {
      lastDone = done;
      lastProgressAt = Date.now();
    } else if (Date.now() - lastProgressAt > 120_000) {
      throw new Error(`delivery stalled at ${done}/${messageCount} (by status: ${JSON.stringify(byStatus)})`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}
