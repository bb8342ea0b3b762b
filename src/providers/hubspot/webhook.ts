/**
 * HubSpot webhooks, signed with the app's client secret:
 * - v3 (preferred, sent whenever HubSpot can): `X-HubSpot-Signature-v3` is the base64
 *   HMAC-SHA256 of `METHOD + URI + rawBody + timestamp`, `X-HubSpot-Request-Timestamp` in ms,
 *   which must be within the replay window. When it is present nothing older is looked at.
 * - v1 and v2 (`X-HubSpot-Signature` with `X-HubSpot-Signature-Version`): hex SHA-256 of
 *   `clientSecret + rawBody` (v1) or `clientSecret + METHOD + URI + rawBody` (v2). They carry no
 *   time, so a captured delivery replays until the event ids dedupe it; they are accepted only
 *   when no v3 signature came, for deliveries HubSpot signs the older way alone.
 * The URI is the URL as received; Switchboard's webhook URLs hold nothing HubSpot percent-decodes.
 * The body is a JSON array of events.
 */
import { sha256Hex } from "../../crypto/hash.ts";
import { field } from "../runtime.ts";
import {
  bodyJson,
  concatBytes,
  hmacBase64,
  missingSecret,
  type ProviderWebhook,
  refused,
  replayWindowError,
  safeEqual,
  type Verification,
  type WebhookEffect,
  type WebhookRequest,
} from "../webhooks.ts";

/** Object types (the `subscriptionType` prefix) and the entity the hub syncs them as. */
const ENTITIES: Record<string, string> = {
  contact: "contacts",
  company: "companies",
  product: "products",
  invoice: "invoices",
};

/** `subscriptionType` suffixes as operations; others (merge, restore) keep HubSpot's word. */
const OPERATIONS: Record<string, string> = {
  creation: "create",
  propertyChange: "update",
  associationChange: "update",
  deletion: "delete",
  privacyDeletion: "delete",
};

/** The v3 signature of a request (also what the sandbox sender signs with). */
export const signatureV3 = (
  secret: string,
  method: string,
  url: string,
  body: Uint8Array,
  timestamp: string,
) => hmacBase64("SHA-256", secret, concatBytes(method.toUpperCase(), url, body, timestamp));

async function verifyV3(
  req: WebhookRequest,
  secret: string,
  signature: string,
  now: number,
): Promise<Verification> {
  const timestamp = req.headers.get("x-hubspot-request-timestamp");
  if (!timestamp || !/^\d+$/.test(timestamp))
    return refused("missing or malformed X-HubSpot-Request-Timestamp");
  const expected = await signatureV3(secret, req.method, req.url, req.body, timestamp);
  if (!(await safeEqual(signature, expected))) return refused("signature does not match");
  const stale = replayWindowError(Number(timestamp) / 1000, now);
  return stale ? refused(stale) : { ok: true };
}

const events = (payload: unknown): unknown[] => (Array.isArray(payload) ? payload : []);

export const webhook: ProviderWebhook = {
  async verify(req, ctx) {
    const secret = ctx.secrets.client_secret;
    if (!secret) return missingSecret("client secret");
    const v3 = req.headers.get("x-hubspot-signature-v3");
    if (v3) return verifyV3(req, secret, v3, ctx.now);
    const signature = req.headers.get("x-hubspot-signature");
    if (!signature) return refused("missing X-HubSpot-Signature-v3 header");
    const version = req.headers.get("x-hubspot-signature-version");
    const source =
      version === "v1"
        ? concatBytes(secret, req.body)
        : version === "v2"
          ? concatBytes(secret, req.method.toUpperCase(), req.url, req.body)
          : null;
    if (!source) return refused(`unsupported X-HubSpot-Signature-Version ${version ?? "(none)"}`);
    const ok = await safeEqual(signature.toLowerCase(), await sha256Hex(source));
    return ok ? { ok: true } : refused("signature does not match");
  },

  describe(req) {
    const payload = bodyJson(req);
    const list = events(payload);
    const types = new Set(list.map((e) => String(field(e, "subscriptionType") ?? "")));
    const [only] = types;
    const eventId = list.length === 1 ? field(list[0], "eventId") : undefined;
    return {
      type: types.size === 1 && only ? only : "batch",
      ...(eventId !== undefined && eventId !== null ? { id: String(eventId) } : {}),
      payload,
    };
  },

  effects(payload) {
    return events(payload).flatMap((e): WebhookEffect[] => {
      const [object = "", action = ""] = String(field(e, "subscriptionType") ?? "").split(".");
      const entity = ENTITIES[object];
      const objectId = field(e, "objectId");
      if (!entity || objectId === undefined || objectId === null) return [];
      return [
        {
          kind: "record.changed",
          entity,
          externalId: String(objectId),
          operation: OPERATIONS[action] ?? action,
        },
      ];
    });
  },
};
