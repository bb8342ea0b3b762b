/**
 * Facebook Page webhooks: a Lead Ads `leadgen` change, an inbound Messenger message, or a
 * Messenger delivery receipt, signed as Meta signs (meta.ts).
 */
import { metaRequest, randomDigits, randomMid } from "./meta.ts";
import type { WebhookSender } from "./sender.ts";

/** The sandbox Page (sandbox/providers/facebook.ts). */
const SANDBOX_PAGE_ID = "100000000000001";

export const facebook: WebhookSender = {
  events: ["leadgen", "message", "delivery"],
  build(o) {
    const now = o.now ?? Date.now();
    const pageId = o.data?.page_id ?? o.data?.entry_id ?? String(o.config.page_id || SANDBOX_PAGE_ID);
    const psid = o.data?.from ?? randomDigits();
    const event = o.event ?? "leadgen";
    if (event === "leadgen") {
      const seconds = Math.floor(now / 1000);
      const value = {
        ad_id: "300000000000001",
        adgroup_id: "300000000000001",
        form_id: o.data?.form_id ?? "200000000000001",
        leadgen_id: o.data?.leadgen_id ?? o.data?.event_id ?? randomDigits(),
        created_time: seconds,
        page_id: pageId,
      };
      return metaRequest(o, {
        object: "page",
        entry: [{ id: pageId, time: seconds, changes: [{ field: "leadgen", value }] }],
      });
    }
    const item =
      event === "delivery"
        ? { delivery: { mids: [o.data?.provider_message_id ?? randomMid()], watermark: now } }
        : {
            timestamp: now,
            message: {
              mid: o.data?.provider_message_id ?? o.data?.event_id ?? randomMid(),
              text: o.data?.text ?? "Hello from the Messenger sandbox",
            },
          };
    return metaRequest(o, {
      object: "page",
      entry: [
        {
          id: pageId,
          time: now,
          messaging: [{ sender: { id: psid }, recipient: { id: o.data?.to ?? pageId }, ...item }],
        },
      ],
    });
  },
};
