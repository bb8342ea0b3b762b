/**
 * Simulated SendGrid Event Webhooks (the multiple-webhooks API under
 * `/v3/user/webhooks/event/settings`: list all, create, read, update, and the signed-webhook
 * setting whose public key is the sandbox's, SANDBOX_SENDGRID_PUBLIC_KEY, so events the sandbox
 * signs verify), remembered per API key, at most 5. Mounted by sendgrid.ts behind its auth.
 */
import type { Context } from "hono";
import { simulator } from "../lib.ts";
import { SANDBOX_SENDGRID_PUBLIC_KEY } from "../webhooks/sendgrid.ts";

export const sendgridWebhooks = simulator();

const BASE = "/v3/user/webhooks/event/settings";
const MAX_ALLOWED = 5;
const EVENT_FLAGS = [
  "group_resubscribe",
  "delivered",
  "group_unsubscribe",
  "spam_report",
  "bounce",
  "deferred",
  "unsubscribe",
  "processed",
  "open",
  "click",
  "dropped",
  "account_status_change",
];

type Webhook = Record<string, unknown> & { id: string; url: string; public_key?: string };
const accounts = new Map<string, Webhook[]>();

const hooksOf = (c: Context) => {
  const key = c.req.header("authorization") ?? "";
  const list = accounts.get(key) ?? [];
  accounts.set(key, list);
  return list;
};
const fail = (status: number, message: string, at: string | null = null) =>
  Response.json({ errors: [{ field: at, message }] }, { status });

async function body(c: Context): Promise<Record<string, unknown> | Response> {
  try {
    const b: unknown = await c.req.json();
    if (b && typeof b === "object" && !Array.isArray(b)) return b as Record<string, unknown>;
  } catch {
    // answered below
  }
  return fail(400, "invalid JSON body");
}

/** A webhook as SendGrid shows it: every event flag, the url, id and dates. */
function applied(previous: Webhook | undefined, b: Record<string, unknown>): Webhook | Response {
  const url = b.url ?? previous?.url;
  if (typeof url !== "string" || !/^https?:\/\/\S+$/.test(url))
    return fail(400, "url is required and must be a valid URL", "url");
  const now = new Date().toISOString();
  const flags = Object.fromEntries(
    EVENT_FLAGS.map((f) => [f, typeof b[f] === "boolean" ? b[f] : (previous?.[f] ?? false)]),
  );
  return {
    enabled: typeof b.enabled === "boolean" ? b.enabled : (previous?.enabled ?? false),
    url,
    ...flags,
    friendly_name: typeof b.friendly_name === "string" ? b.friendly_name : (previous?.friendly_name ?? ""),
    id: previous?.id ?? crypto.randomUUID(),
    ...(previous?.public_key ? { public_key: previous.public_key } : {}),
    created_date: previous?.created_date ?? now,
    updated_date: now,
  };
}

sendgridWebhooks.get(`${BASE}/all`, (c) => Response.json({ max_allowed: MAX_ALLOWED, webhooks: hooksOf(c) }));

sendgridWebhooks.post(BASE, async (c) => {
  const b = await body(c);
  if (b instanceof Response) return b;
  const list = hooksOf(c);
  if (list.length >= MAX_ALLOWED) return fail(400, `you may have at most ${MAX_ALLOWED} Event Webhooks`); // wording UNCONFIRMED
  const hook = applied(undefined, b);
  if (hook instanceof Response) return hook;
  list.push(hook);
  return Response.json(hook, { status: 201 });
});

sendgridWebhooks.get(`${BASE}/signed/:id`, (c) => {
  const hook = hooksOf(c).find((h) => h.id === c.req.param("id"));
  return hook
    ? Response.json({ id: hook.id, public_key: hook.public_key ?? "" })
    : fail(404, "webhook not found");
});

sendgridWebhooks.patch(`${BASE}/signed/:id`, async (c) => {
  const b = await body(c);
  if (b instanceof Response) return b;
  const hook = hooksOf(c).find((h) => h.id === c.req.param("id"));
  if (!hook) return fail(404, "webhook not found");
  if (typeof b.enabled !== "boolean") return fail(400, "enabled is required", "enabled");
  if (b.enabled) hook.public_key = SANDBOX_SENDGRID_PUBLIC_KEY;
  else delete hook.public_key;
  return Response.json({ id: hook.id, public_key: hook.public_key ?? "" });
});

sendgridWebhooks.get(`${BASE}/:id`, (c) => {
  const hook = hooksOf(c).find((h) => h.id === c.req.param("id"));
  return hook ? Response.json(hook) : fail(404, "webhook not found");
});

sendgridWebhooks.patch(`${BASE}/:id`, async (c) => {
  const b = await body(c);
  if (b instanceof Response) return b;
  const list = hooksOf(c);
  const i = list.findIndex((h) => h.id === c.req.param("id"));
  if (i < 0) return fail(404, "webhook not found");
  const hook = applied(list[i], b);
  if (hook instanceof Response) return hook;
  list[i] = hook;
  return Response.json(hook);
});
