/**
 * Meta Graph webhooks, shared by Facebook (Messenger and Lead Ads), Instagram and the WhatsApp
 * Cloud API (providers.md §1): the callback URL is confirmed with a GET carrying
 * `hub.mode=subscribe`, `hub.verify_token` and `hub.challenge`, answered with the challenge; every
 * POST carries `X-Hub-Signature-256: sha256=<hex>`, HMAC-SHA256 of the raw body keyed with the app
 * secret. There is no timestamp: duplicates are recognised by the message id (`mid`, `wamid`) or
 * `leadgen_id` of a single-event delivery, otherwise by the body's hash. Batches hold up to 1,000
 * updates in `entry[].messaging[]` (Messenger, Instagram) or `entry[].changes[]` (Lead Ads,
 * WhatsApp); `entry[].id` names the Page, Instagram account or WhatsApp Business Account.
 */
import { field } from "../runtime.ts";
import type { Channel } from "../types.ts";
import {
  bodyJson,
  type DeliveryStatus,
  hmacHex,
  missingSecret,
  type ProviderWebhook,
  refused,
  safeEqual,
  type WebhookEffect,
} from "../webhooks.ts";

export interface MetaWebhookOptions {
  /** The channel of messages received in `entry[].messaging[]`. */
  channel: Channel;
  /** The integration setting that holds the id Meta sends as `entry[].id`. */
  routingField: string;
}

/** What a `messaging[]` item is, by the key it carries. */
const MESSAGING_KINDS = ["message", "delivery", "read", "postback", "reaction", "referral", "optin"];

/** WhatsApp `statuses[].status` → delivery status (`read` implies delivered). */
const WHATSAPP_STATUS: Record<string, DeliveryStatus> = {
  sent: "sent",
  delivered: "delivered",
  read: "delivered",
  failed: "failed",
};

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** A string or numeric id as a string; undefined when absent or empty. */
function idOf(v: unknown): string | undefined {
  if (typeof v === "number") return String(v);
  return typeof v === "string" && v ? v : undefined;
}

interface MetaEvent {
  type: string;
  /** What names this one event across deliveries. */
  key?: string;
}

/** Every event a delivery holds, with its kind and, where it has one, its id. */
function events(payload: unknown): MetaEvent[] {
  const out: MetaEvent[] = [];
  for (const entry of list(field(payload, "entry"))) {
    for (const item of list(field(entry, "messaging"))) {
      const type = MESSAGING_KINDS.find((k) => field(item, k) !== undefined) ?? "messaging";
      out.push({ type, key: type === "message" ? idOf(field(item, "message", "mid")) : undefined });
    }
    for (const change of list(field(entry, "changes"))) {
      const name = idOf(field(change, "field")) ?? "changes";
      const value = field(change, "value");
      if (name === "leadgen") {
        out.push({ type: name, key: idOf(field(value, "leadgen_id")) });
        continue;
      }
      const statuses = list(field(value, "statuses"));
      const messages = list(field(value, "messages"));
      for (const s of statuses) {
        const id = idOf(field(s, "id"));
        const status = idOf(field(s, "status"));
        out.push({ type: "statuses", key: id && status ? `${id}:${status}` : undefined });
      }
      for (const m of messages) out.push({ type: "messages", key: idOf(field(m, "id")) });
      if (!statuses.length && !messages.length) out.push({ type: name });
    }
  }
  return out;
}

/** The text of an inbound WhatsApp message: text, quick-reply button or interactive reply. */
function whatsappText(message: unknown): string | undefined {
  const text =
    field(message, "text", "body") ??
    field(message, "button", "text") ??
    field(message, "interactive", "button_reply", "title") ??
    field(message, "interactive", "list_reply", "title");
  return typeof text === "string" ? text : undefined;
}

/** `15551234567` → `+15551234567`. */
const e164 = (digits: string): string => `+${digits.replace(/\D/g, "")}`;

function messagingEffects(item: unknown, channel: Channel): WebhookEffect[] {
  const message = field(item, "message");
  if (message && typeof message === "object" && field(message, "is_echo") !== true) {
    const text = field(message, "text");
    const to = idOf(field(item, "recipient", "id"));
    const mid = idOf(field(message, "mid"));
    return [
      {
        kind: "message.inbound",
        channel,
        from: idOf(field(item, "sender", "id")) ?? "",
        ...(to ? { to } : {}),
        ...(typeof text === "string" ? { text } : {}),
        ...(mid ? { providerMessageId: mid } : {}),
      },
    ];
  }
  const delivered = (mid: unknown, detail: string): WebhookEffect[] => {
    const id = idOf(mid);
    return id ? [{ kind: "message.status", providerMessageId: id, status: "delivered", detail }] : [];
  };
  // Messenger's `read` carries only a watermark; Instagram's names the message.
  const read = field(item, "read", "mid");
  if (read !== undefined) return delivered(read, "read");
  return list(field(item, "delivery", "mids")).flatMap((mid) => delivered(mid, "delivered"));
}

function whatsappEffects(value: unknown): WebhookEffect[] {
  const out: WebhookEffect[] = [];
  for (const s of list(field(value, "statuses"))) {
    const word = idOf(field(s, "status")) ?? "";
    const status = WHATSAPP_STATUS[word];
    const id = idOf(field(s, "id"));
    if (!status || !id) continue;
    const title = field(s, "errors", "0", "title");
    out.push({
      kind: "message.status",
      providerMessageId: id,
      status,
      detail: word,
      ...(status === "failed" && typeof title === "string" ? { error: title } : {}),
    });
  }
  const display = idOf(field(value, "metadata", "display_phone_number"));
  for (const m of list(field(value, "messages"))) {
    const from = idOf(field(m, "from"));
    if (!from) continue;
    const text = whatsappText(m);
    const id = idOf(field(m, "id"));
    out.push({
      kind: "message.inbound",
      channel: "whatsapp",
      from: e164(from),
      ...(display ? { to: e164(display) } : {}),
      ...(text === undefined ? {} : { text }),
      ...(id ? { providerMessageId: id } : {}),
    });
  }
  return out;
}

function leadEffect(value: unknown, entryId: string | undefined): WebhookEffect[] {
  const leadgenId = idOf(field(value, "leadgen_id"));
  if (!leadgenId) return [];
  const formId = idOf(field(value, "form_id"));
  const pageId = idOf(field(value, "page_id")) ?? entryId;
  const adId = idOf(field(value, "ad_id"));
  const created = field(value, "created_time");
  const createdTime = typeof created === "number" ? new Date(created * 1000).toISOString() : idOf(created);
  return [
    {
      kind: "lead",
      leadgenId,
      ...(formId ? { formId } : {}),
      ...(pageId ? { pageId } : {}),
      ...(adId ? { adId } : {}),
      ...(createdTime ? { createdTime } : {}),
    },
  ];
}

/** The webhook of one Meta product; they differ only in their channel and routing setting. */
export function metaWebhook(options: MetaWebhookOptions): ProviderWebhook {
  return {
    async handshake(req, ctx) {
      if (req.method !== "GET") return null;
      const q = new URL(req.url).searchParams;
      const challenge = q.get("hub.challenge");
      const token = q.get("hub.verify_token");
      const matches =
        q.get("hub.mode") === "subscribe" &&
        challenge !== null &&
        token !== null &&
        ctx.verifyToken !== undefined &&
        (await safeEqual(token, ctx.verifyToken));
      return matches
        ? new Response(challenge, { status: 200, headers: { "content-type": "text/plain" } })
        : new Response("verify token does not match", { status: 403 });
    },

    async verify(req, ctx) {
      const secret = ctx.secrets.app_secret || ctx.defaults.metaAppSecret;
      if (!secret) return missingSecret("Meta app secret");
      const got = req.headers.get("x-hub-signature-256");
      if (!got) return refused("missing X-Hub-Signature-256 header");
      if (!got.startsWith("sha256=")) return refused("X-Hub-Signature-256 is not sha256=<hex>");
      const expected = await hmacHex("SHA-256", secret, req.body);
      return (await safeEqual(got.slice("sha256=".length).toLowerCase(), expected))
        ? { ok: true }
        : refused("signature does not match");
    },

    describe(req) {
      const payload = bodyJson(req);
      const all = events(payload);
      const types = [...new Set(all.map((e) => e.type))];
      const type = types.length > 1 ? "batch" : (types[0] ?? String(field(payload, "object") ?? "event"));
      const id = all.length === 1 ? all[0]?.key : undefined;
      return { type, ...(id ? { id } : {}), payload };
    },

    effects(payload) {
      const out: WebhookEffect[] = [];
      for (const entry of list(field(payload, "entry"))) {
        for (const item of list(field(entry, "messaging")))
          out.push(...messagingEffects(item, options.channel));
        for (const change of list(field(entry, "changes"))) {
          const name = field(change, "field");
          const value = field(change, "value");
          if (name === "leadgen") out.push(...leadEffect(value, idOf(field(entry, "id"))));
          else if (name === "messages") out.push(...whatsappEffects(value));
        }
      }
      return out;
    },

    routingIds(payload) {
      return list(field(payload, "entry"))
        .map((entry) => idOf(field(entry, "id")))
        .filter((id): id is string => id !== undefined);
    },

    routingField: options.routingField,
  };
}

/** Facebook Pages: Messenger messages and receipts, and Lead Ads leads; routed by `page_id`. */
export const webhook = metaWebhook({ channel: "messenger", routingField: "page_id" });
