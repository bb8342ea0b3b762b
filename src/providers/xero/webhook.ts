/**
 * Xero webhooks: `x-xero-signature` is the base64 HMAC-SHA256 of the raw body, keyed with the
 * app's webhook key; there is no timestamp. Xero answers are strict: 200 with an empty body
 * when accepted, 401 when the signature is wrong. A subscription is activated by "intent to
 * receive" deliveries with an empty `events` list: correctly signed ones get 200 and store
 * nothing, the others 401. Contact and invoice events become `record.changed`; the tenant id
 * routes a delivery at an organization-wide URL to the integration with that `tenant_id`.
 */
import { field } from "../runtime.ts";
import {
  bodyJson,
  hmacBase64,
  type ProviderWebhook,
  verifyBodyHmacBase64,
  type WebhookEffect,
} from "../webhooks.ts";

/** `eventCategory` values and the entity the hub syncs them as. */
const ENTITIES: Record<string, string> = { CONTACT: "customers", INVOICE: "invoices" };

/** The signature of a body (also what the sandbox sender signs with). */
export const signature = (key: string, body: Uint8Array<ArrayBuffer>) => hmacBase64("SHA-256", key, body);

const events = (payload: unknown): unknown[] => {
  const list = field(payload, "events");
  return Array.isArray(list) ? list : [];
};

export const webhook: ProviderWebhook = {
  verify: (req, ctx) =>
    verifyBodyHmacBase64(req, ctx.secrets.webhook_key, "webhook key", "x-xero-signature", 401),

  describe(req) {
    const payload = bodyJson(req);
    const list = events(payload);
    if (list.length === 0) return null;
    const [first] = list;
    const type =
      list.length === 1
        ? `${field(first, "eventCategory")}.${field(first, "eventType")}`.toLowerCase()
        : "batch";
    return { type, payload };
  },

  effects(payload) {
    return events(payload).flatMap((e): WebhookEffect[] => {
      const entity = ENTITIES[String(field(e, "eventCategory"))];
      const id = field(e, "resourceId");
      if (!entity || typeof id !== "string") return [];
      const operation = String(field(e, "eventType") ?? "").toLowerCase();
      return [{ kind: "record.changed", entity, externalId: id, operation }];
    });
  },

  routingIds(payload) {
    return events(payload)
      .map((e) => field(e, "tenantId"))
      .filter((id): id is string => typeof id === "string");
  },
  routingField: "tenant_id",

  accept: () => new Response(null, { status: 200 }),
};
