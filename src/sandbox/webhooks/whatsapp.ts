/**
 * WhatsApp Cloud API webhooks: a delivery receipt (`statuses[]`, default `delivered`; `failed`
 * carries an error) or an inbound text message (`messages[]`), signed as Meta signs (meta.ts).
 */
import { metaRequest } from "./meta.ts";
import { randomHex, type WebhookSender } from "./sender.ts";

const SANDBOX_WABA_ID = "100000000000002";
const SANDBOX_PHONE_NUMBER_ID = "100000000000003";
/** The sandbox business number (sandbox/providers/whatsapp.ts). */
const SANDBOX_DISPLAY_NUMBER = "15550100000";
const CUSTOMER = "15551234567";

const digits = (v: string) => v.replace(/\D/g, "");

export const whatsapp: WebhookSender = {
  events: ["status", "message"],
  build(o) {
    const seconds = String(Math.floor((o.now ?? Date.now()) / 1000));
    const wabaId = o.data?.entry_id ?? String(o.config.business_account_id || SANDBOX_WABA_ID);
    const wamid = o.data?.provider_message_id ?? o.data?.event_id ?? `wamid.${randomHex(24)}`;
    const metadata = {
      display_phone_number: SANDBOX_DISPLAY_NUMBER,
      phone_number_id: String(o.config.phone_number_id || SANDBOX_PHONE_NUMBER_ID),
    };
    let value: Record<string, unknown>;
    if (o.event === "message") {
      const from = digits(o.data?.from ?? CUSTOMER);
      value = {
        messaging_product: "whatsapp",
        metadata,
        contacts: [{ profile: { name: "Sandbox User" }, wa_id: from }],
        messages: [
          {
            from,
            id: wamid,
            timestamp: seconds,
            type: "text",
            text: { body: o.data?.text ?? "Hello from the WhatsApp sandbox" },
          },
        ],
      };
    } else {
      const status = o.data?.status ?? "delivered";
      value = {
        messaging_product: "whatsapp",
        metadata,
        statuses: [
          {
            id: wamid,
            status,
            timestamp: seconds,
            recipient_id: digits(o.data?.to ?? CUSTOMER),
            ...(status === "failed"
              ? {
                  errors: [
                    {
                      code: 131026,
                      title: "Message undeliverable",
                      message: "Message undeliverable",
                      error_data: { details: "Message Undeliverable." },
                    },
                  ],
                }
              : {
                  conversation: { id: randomHex(16), origin: { type: "service" } },
                  pricing: { billable: true, pricing_model: "CBP", category: "service" },
                }),
          },
        ],
      };
    }
    return metaRequest(o, {
      object: "whatsapp_business_account",
      entry: [{ id: wabaId, changes: [{ value, field: "messages" }] }],
    });
  },
};
