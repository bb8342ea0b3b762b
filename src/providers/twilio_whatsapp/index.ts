// WhatsApp through Twilio: Account SID and Auth Token; sends messages; X-Twilio-Signature callbacks.
import { twilioAccountFields } from "../common-fields.ts";
import { defineProvider } from "../define.ts";
import { REST_READS } from "../proxy-read-only.ts";
import { authorize } from "../twilio/proxy.ts";
import { webhook } from "../twilio/webhook.ts";
import { bareNumber, send, test } from "./client.ts";

export const provider = defineProvider({
  id: "twilio_whatsapp",
  category: "whatsapp",
  displayName: "WhatsApp via Twilio",
  description: "Sends WhatsApp messages through Twilio's Messaging API and tracks their delivery status.",
  authKind: "basic",
  defaultBaseUrl: "https://api.twilio.com",
  fields: [
    ...twilioAccountFields(),
    {
      name: "from_whatsapp",
      label: "WhatsApp Sender Number",
      type: "phone",
      required: true,
      secret: false,
      placeholder: "+14155238886",
      help: "A WhatsApp-enabled Twilio number in E.164 form; the whatsapp: prefix is added when sending.",
    },
  ],
  tokenField: "auth_token",
  test,
  send,
  webhook,
  // The 004 dialect's per-provider paths: there `whatsapp` is Twilio WhatsApp.
  pathAliases: ["whatsapp"],
  // The sender number may be written as a WhatsApp address.
  normalizePhone: bareNumber,
  authorize,
  // Twilio's REST API reads with GET and creates and updates with POST.
  proxyReadOnly: REST_READS,
  channels: ["whatsapp"],
  docsUrl: "https://www.twilio.com/docs/whatsapp/api",
});
