/**
 * QuickBooks Online webhooks: `intuit-signature` is the base64 HMAC-SHA256 of the raw body,
 * keyed with the app's webhook verifier token; there is no timestamp. Two payload formats:
 * the classic `{"eventNotifications":[{realmId, dataChangeEvent:{entities:[{name, id,
 * operation}]}}]}` and the CloudEvents array (`type` like `qbo.invoice.created.v1`,
 * `intuitentityid`, `intuitaccountid`). Both only name the changed records; Customer, Item and
 * Invoice changes become `record.changed` for the entities the hub syncs. The company (realm)
 * id routes a delivery at an organization-wide URL to the integration with that `realm_id`.
 */
import { field } from "../runtime.ts";
import {
  bodyJson,
  hmacBase64,
  type ProviderWebhook,
  verifyBodyHmacBase64,
  type WebhookEffect,
} from "../webhooks.ts";

/** QuickBooks entity names (lowercased) and the entity the hub syncs them as. */
const ENTITIES: Record<string, string> = { customer: "customers", item: "products", invoice: "invoices" };

/** CloudEvents verbs as operations; classic operations (Create, Merge, Void, ...) are lowercased. */
const OPERATIONS: Record<string, string> = { created: "create", updated: "update", deleted: "delete" };

/** The signature of a body (also what the sandbox sender signs with). */
export const signature = (token: string, body: Uint8Array<ArrayBuffer>) => hmacBase64("SHA-256", token, body);

function change(name: unknown, id: unknown, operation: string): WebhookEffect[] {
  const entity = ENTITIES[String(name).toLowerCase()];
  if (!entity || (typeof id !== "string" && typeof id !== "number")) return [];
  return [{ kind: "record.changed", entity, externalId: String(id), operation }];
}

export const webhook: ProviderWebhook = {
  verify: (req, ctx) =>
    verifyBodyHmacBase64(
      req,
      ctx.secrets.webhook_verifier_token,
      "webhook verifier token",
      "intuit-signature",
    ),

  describe(req) {
    const payload = bodyJson(req);
    if (!Array.isArray(payload)) return { type: "dataChangeEvent", payload };
    const id = payload.length === 1 ? field(payload[0], "id") : undefined;
    const type = payload.length === 1 ? field(payload[0], "type") : undefined;
    return {
      type: typeof type === "string" ? type : "batch",
      ...(typeof id === "string" ? { id } : {}),
      payload,
    };
  },

  effects(payload) {
    if (Array.isArray(payload))
      return payload.flatMap((e) => {
        const [, name, verb = ""] = String(field(e, "type") ?? "").split(".");
        return change(name, field(e, "intuitentityid"), OPERATIONS[verb] ?? verb);
      });
    const notifications = field(payload, "eventNotifications");
    return (Array.isArray(notifications) ? notifications : []).flatMap((n) => {
      const entities = field(n, "dataChangeEvent", "entities");
      return (Array.isArray(entities) ? entities : []).flatMap((e) =>
        change(field(e, "name"), field(e, "id"), String(field(e, "operation") ?? "").toLowerCase()),
      );
    });
  },

  routingIds(payload) {
    const notifications = field(payload, "eventNotifications");
    const ids = Array.isArray(payload)
      ? payload.map((e) => field(e, "intuitaccountid"))
      : (Array.isArray(notifications) ? notifications : []).map((n) => field(n, "realmId"));
    return ids.filter((id) => typeof id === "string" || typeof id === "number").map(String);
  },
  routingField: "realm_id",
};
