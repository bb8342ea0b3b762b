/**
 * The route scenarios: what each load test sends (method, path, headers, body or a per-request
 * builder), and the signed webhooks the ingestion routes receive.
 */
import { createHmac } from "node:crypto";
import type autocannon from "autocannon";
import { type Fixture, WEBHOOK_SECRET } from "./seed.ts";

let webhookSeq = 0;

/**
 * Every request a new Standard Webhooks event (new `webhook-id`, body and signature), so each is
 * verified, stored and enqueued rather than recognised as a duplicate.
 */
export function signedWebhook(req: autocannon.Request): autocannon.Request {
  const id = `msg_bench_${process.pid}_${++webhookSeq}`;
  const ts = Math.floor(Date.now() / 1000);
  const body = JSON.stringify({
    type: "invoice.paid",
    data: { id: webhookSeq, amount: 4200, currency: "USD" },
  });
  const key = Buffer.from(WEBHOOK_SECRET.slice("whsec_".length), "base64");
  const sig = createHmac("sha256", key).update(`${id}.${ts}.${body}`).digest("base64");
  return {
    ...req,
    body,
    headers: {
      ...req.headers,
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(ts),
      "webhook-signature": `v1,${sig}`,
    },
  };
}

/** One route to load-test. */
export interface BenchRoute {
  name: string;
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  headers?: Record<string, string>;
  /** A JSON body (sent as-is on every request). */
  body?: unknown;
  /** Extra autocannon options. */
  options?: Record<string, unknown>;
  /** Builds each request anew (autocannon's `setupRequest`): a new body, new headers. */
  perRequest?: (req: autocannon.Request) => autocannon.Request;
}

/**
 * The routes to measure. The first one is the baseline the others are compared with: a bare
 * route that does no auth and no D1 work. Add routes here (message submission, webhook
 * ingestion, ...); a POST route sends `body` as JSON.
 */
export function routes(f: Fixture): BenchRoute[] {
  const auth = { authorization: `Bearer ${f.apiKey}` };
  return [
    { name: "bare: GET /ping", method: "GET", path: "/ping" },
    { name: "bare: GET /ping", method: "GET", path: "/ping", options: { connections: 1 } },
    {
      name: "REST get one: GET /api/integrations/{id}",
      method: "GET",
      path: `/api/integrations/${f.integrationId}`,
      headers: auth,
    },
    {
      name: "REST list page: GET /api/integrations?limit=50",
      method: "GET",
      path: "/api/integrations?limit=50",
      headers: auth,
    },
    {
      name: "001 list page: GET /organization-integrations?limit=50",
      method: "GET",
      path: `/organization-integrations?org_id=${f.orgId}&limit=50`,
      headers: auth,
    },
    {
      name: "message submit (202): POST /api/messages",
      method: "POST",
      path: "/api/messages",
      headers: auth,
      body: { integration_id: f.telegramId, to: "100200300", text: "Benchmark message" },
    },
    {
      name: "signed webhook ingestion (verify + durable accept; processed meanwhile): POST /webhooks/other/{id}",
      method: "POST",
      path: new URL(f.webhookUrl).pathname,
      perRequest: signedWebhook,
    },
    {
      name: "signed webhook ingestion (verify + durable accept; processed meanwhile): POST /webhooks/other/{id}",
      method: "POST",
      path: new URL(f.webhookUrl).pathname,
      perRequest: signedWebhook,
      options: { connections: 1 },
    },
    {
      // The same request path, while the consumer only stores (an inactive integration's
      // deliveries are kept as `ignored`): how much of the row above is processing's share of
      // the same two cores.
      name: "signed webhook ingestion, inactive integration (verify + accept + store, no processing)",
      method: "POST",
      path: new URL(f.inactiveWebhookUrl).pathname,
      perRequest: signedWebhook,
    },
  ];
}
