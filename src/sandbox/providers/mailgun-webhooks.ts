/**
 * Simulated Mailgun domain webhooks (v3 `/v3/domains/{domain}/webhooks`: list, read, create,
 * update, delete; at most 3 URLs per event) and the account's HTTP webhook signing key
 * (`GET /v5/accounts/http_signing_key`), remembered per API key. Mounted by mailgun.ts, behind its
 * basic auth.
 */
import type { Context } from "hono";
import { basicCredentials, simulator } from "../lib.ts";

export const mailgunWebhooks = simulator();

const EVENTS = new Set([
  "accepted",
  "clicked",
  "complained",
  "delivered",
  "opened",
  "permanent_fail",
  "temporary_fail",
  "unsubscribed",
]);

/** Webhook URLs by `<api key> <domain>`, then by event. */
const hooks = new Map<string, Map<string, string[]>>();
const signingKeys = new Map<string, string>();

const keyOf = (c: Context) => basicCredentials(c.req.header("authorization"))?.password ?? "";
const domainHooks = (c: Context) => {
  const k = `${keyOf(c)} ${c.req.param("domain")}`;
  const m = hooks.get(k) ?? new Map<string, string[]>();
  hooks.set(k, m);
  return m;
};
const fail = (status: number, message: string) => Response.json({ message }, { status });

/** The `url` fields of a form or multipart body (repeatable), or Mailgun's refusal. */
async function urlsOf(c: Context): Promise<{ id?: string; urls: string[] } | Response> {
  const body = await c.req.parseBody({ all: true });
  const raw = body.url;
  const urls = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).map(String);
  if (urls.length === 0) return fail(400, "url is required");
  if (urls.length > 3) return fail(400, "Up to 3 urls are allowed"); // wording UNCONFIRMED
  for (const u of urls) if (!/^https?:\/\/\S+$/.test(u)) return fail(400, "Invalid url"); // wording UNCONFIRMED
  const id = typeof body.id === "string" ? body.id : undefined;
  return { ...(id ? { id } : {}), urls };
}

mailgunWebhooks.get("/v3/domains/:domain/webhooks", (c) => {
  const webhooks = Object.fromEntries([...domainHooks(c)].map(([event, urls]) => [event, { urls }]));
  return Response.json({ webhooks });
});

mailgunWebhooks.get("/v3/domains/:domain/webhooks/:id", (c) => {
  const urls = domainHooks(c).get(c.req.param("id"));
  return urls ? Response.json({ webhook: { urls } }) : fail(404, "Webhook not found");
});

mailgunWebhooks.post("/v3/domains/:domain/webhooks", async (c) => {
  const parsed = await urlsOf(c);
  if (parsed instanceof Response) return parsed;
  if (!parsed.id || !EVENTS.has(parsed.id)) return fail(400, "Invalid webhook id"); // wording UNCONFIRMED
  const m = domainHooks(c);
  if (m.has(parsed.id)) return fail(400, "Webhook already exists");
  m.set(parsed.id, parsed.urls);
  return Response.json({ message: "Webhook has been created", webhook: { urls: parsed.urls } });
});

mailgunWebhooks.put("/v3/domains/:domain/webhooks/:id", async (c) => {
  const m = domainHooks(c);
  const id = c.req.param("id");
  if (!m.has(id)) return fail(404, "Webhook not found");
  const parsed = await urlsOf(c);
  if (parsed instanceof Response) return parsed;
  m.set(id, parsed.urls);
  return Response.json({ message: "Webhook has been updated", webhook: { urls: parsed.urls } });
});

mailgunWebhooks.delete("/v3/domains/:domain/webhooks/:id", (c) => {
  const m = domainHooks(c);
  const id = c.req.param("id");
  const urls = m.get(id);
  if (!urls) return fail(404, "Webhook not found");
  m.delete(id);
  return Response.json({ message: "Webhook has been deleted", webhook: { urls } });
});

mailgunWebhooks.get("/v5/accounts/http_signing_key", (c) => {
  const k = keyOf(c);
  let signing = signingKeys.get(k);
  if (!signing) {
    signing = [...crypto.getRandomValues(new Uint8Array(16))]
      .map((b) => b.toString(16).padStart(2, "0"))
      .join("");
    signingKeys.set(k, signing);
  }
  return Response.json({ message: "success", http_signing_key: signing });
});
