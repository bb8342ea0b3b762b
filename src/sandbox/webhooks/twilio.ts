/**
 * Twilio webhooks, for Twilio SMS and WhatsApp via Twilio: a message status callback (default
 * `delivered`; `failed` and `undelivered` carry an ErrorCode) or an inbound message, form-encoded
 * and signed with `X-Twilio-Signature` over the URL and the sorted parameters. Twilio signs no
 * timestamp, so `stale` and `future` are signed normally.
 */
import { randomHex, type WebhookSender, wrongSecret } from "./sender.ts";
import { twilioSignature } from "./signing.ts";

const CUSTOMER = "+15551234567";
const SANDBOX_NUMBER = "+15550100000";

/** The sender of one Twilio product: SMS numbers, or `whatsapp:`-prefixed ones. */
export function twilioSender(whatsapp: boolean): WebhookSender {
  const address = (n: string) => (whatsapp ? `whatsapp:${n.replace(/^whatsapp:/, "")}` : n);
  return {
    events: ["status", "inbound"],
    async build(o) {
      // Twilio signs whether or not the integration holds the token; the hub then refuses the delivery.
      const token = o.secrets.auth_token || "unconfigured-auth-token";
      const accountSid = String(o.config.account_sid || `AC${randomHex(16)}`);
      const sid = o.data?.provider_message_id ?? o.data?.event_id ?? `SM${randomHex(16)}`;
      const ours = address(
        String((whatsapp ? o.config.from_whatsapp : o.config.from_phone_number) || SANDBOX_NUMBER),
      );
      const inbound = o.event === "inbound";
      const common = { MessageSid: sid, SmsSid: sid, AccountSid: accountSid, ApiVersion: "2010-04-01" };
      let params: Record<string, string>;
      if (inbound) {
        const from = address(o.data?.from ?? CUSTOMER);
        params = {
          ...common,
          SmsMessageSid: sid,
          SmsStatus: "received",
          From: from,
          To: o.data?.to ? address(o.data.to) : ours,
          Body: o.data?.text ?? `Hello from the ${whatsapp ? "WhatsApp via Twilio" : "Twilio"} sandbox`,
          NumMedia: "0",
          NumSegments: "1",
          ...(whatsapp ? { ProfileName: "Sandbox User", WaId: from.replace(/\D/g, "") } : {}),
        };
      } else {
        const status = o.data?.status ?? "delivered";
        params = {
          ...common,
          SmsStatus: status,
          MessageStatus: status,
          From: ours,
          To: address(o.data?.to ?? CUSTOMER),
          ...(status === "failed" || status === "undelivered" ? { ErrorCode: "30003" } : {}),
        };
      }
      const form = new URLSearchParams(params);
      const headers = new Headers({ "content-type": "application/x-www-form-urlencoded" });
      if (o.fault !== "missing_signature") {
        const key = o.fault === "bad_signature" ? wrongSecret(token) : token;
        headers.set("x-twilio-signature", await twilioSignature(key, o.url, form));
      }
      if (o.fault === "tampered") {
        if (inbound) form.set("Body", `${form.get("Body")} (tampered)`);
        else form.set("MessageStatus", form.get("MessageStatus") === "failed" ? "delivered" : "failed");
      }
      return new Request(o.url, { method: "POST", headers, body: form.toString() });
    },
  };
}

export const twilio = twilioSender(false);
