// Twilio SMS: basic auth with Account SID and Auth Token; sends SMS; X-Twilio-Signature callbacks.
import type { Provider } from "../types.ts";

export const provider = {
  id: "twilio",
  category: "sms",
  displayName: "Twilio",
  description: "Sends SMS through Twilio's Messaging API and tracks delivery through its status callbacks.",
  authKind: "basic",
  defaultBaseUrl: "https://api.twilio.com",
  fields: [
    {
      name: "from_phone_number",
      label: "From Phone Number",
      type: "phone",
      required: true,
      secret: false,
      placeholder: "+15551234567",
      help: "A Twilio number with SMS capability, in E.164 form.",
    },
    {
      name: "account_sid",
      label: "Account SID",
      type: "text",
      required: true,
      secret: false,
      placeholder: "AC...",
      help: "Twilio Console → Account info.",
    },
    {
      name: "auth_token",
      label: "Auth Token",
      type: "password",
      required: true,
      secret: true,
      help: "Twilio Console → Account info; it also verifies Twilio's webhook signatures.",
    },
  ],
  tokenField: "auth_token",
  capabilities: {
    test: true,
    send: ["sms"],
    webhooks: true,
    oauth: false,
    sync: [],
  },
  docsUrl: "https://www.twilio.com/docs/messaging/api",
} satisfies Provider;
