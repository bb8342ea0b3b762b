// Twilio SMS: basic auth with Account SID and Auth Token; sends SMS; X-Twilio-Signature callbacks.
import { smsSenderFields, twilioAccountFields } from "../common-fields.ts";
import { defineProvider } from "../define.ts";
import { REST_READS } from "../proxy-read-only.ts";
import { send, test } from "./client.ts";
import { authorize } from "./proxy.ts";
import { webhook } from "./webhook.ts";

export const provider = defineProvider({
  id: "twilio",
  category: "sms",
  displayName: "Twilio",
  description: "Sends SMS through Twilio's Messaging API and tracks delivery through its status callbacks.",
  authKind: "basic",
  defaultBaseUrl: "https://api.twilio.com",
  fields: [
    ...smsSenderFields("A Twilio number with SMS capability, in E.164 form."),
    ...twilioAccountFields(),
  ],
  tokenField: "auth_token",
  test,
  send,
  webhook,
  authorize,
  // Twilio's REST API reads with GET and creates and updates with POST.
  proxyReadOnly: REST_READS,
  channels: ["sms"],
  docsUrl: "https://www.twilio.com/docs/messaging/api",
});
