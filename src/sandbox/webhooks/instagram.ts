/**
 * Instagram messaging webhooks: an inbound Direct message, or the recipient reading one we sent,
 * signed as Meta signs (meta.ts).
 */
import { metaRequest, randomDigits, randomMid } from "./meta.ts";
import type { WebhookSender } from "./sender.ts";

/** The sandbox Instagram account (sandbox/providers/instagram.ts). */
const SANDBOX_ACCOUNT_ID = "17841400000000001";

export const instagram: WebhookSender = {
  events: ["message", "read"],
  build(o) {
    const now = o.now ?? Date.now();
    const accountId = o.data?.entry_id ?? String(o.config.instagram_scoped_id || SANDBOX_ACCOUNT_ID);
    const item =
      o.event === "read"
        ? { read: { mid: o.data?.provider_message_id ?? randomMid() } }
        : {
            message: {
              mid: o.data?.provider_message_id ?? o.data?.event_id ?? randomMid(),
              text: o.data?.text ?? "Hello from the Instagram sandbox",
            },
          };
    return metaRequest(o, {
      object: "instagram",
      entry: [
        {
          id: accountId,
          time: now,
          messaging: [
            {
              sender: { id: o.data?.from ?? randomDigits() },
              recipient: { id: o.data?.to ?? accountId },
              timestamp: now,
              ...item,
            },
          ],
        },
      ],
    });
  },
};
