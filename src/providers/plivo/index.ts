// Plivo SMS: basic auth with Auth ID and Auth Token; sends SMS; X-Plivo-Signature-V2 callbacks.

import { smsSenderFields } from "../common-fields.ts";
import { defineProvider } from "../define.ts";
import { REST_READS } from "../proxy-read-only.ts";
import { send, test } from "./client.ts";
import { authorize } from "./proxy.ts";
import { webhook } from "./webhook.ts";

export const provider = defineProvider({
  id: "plivo",
  category: "sms",
  displayName: "Plivo",
  description: "Sends SMS through Plivo's Message API and receives its delivery status callbacks.",
  authKind: "basic",
  defaultBaseUrl: "https://api.plivo.com",
  fields: [
    ...smsSenderFields("A Plivo number with SMS capability, in E.164 form."),
    {
      name: "auth_id",
      label: "Auth ID",
      type: "text",
      required: true,
      secret: false,
      placeholder: "MAXXXXXXXXXXXXXXXXXX",
      help: "Plivo Console → Overview → Account.",
    },
    {
      name: "auth_token",
      label: "Auth Token",
      type: "password",
      required: true,
      secret: true,
      placeholder: "ExamplePlivoAuthToken0123456789",
      help: "Plivo Console → Overview → Account; it also verifies Plivo's webhook signatures.",
    },
  ],
  tokenField: "auth_token",
  test,
  send,
  webhook,
  authorize,
  // Reads are GET; sending and every change use POST and DELETE.
  proxyReadOnly: REST_READS,
  channels: ["sms"],
  docsUrl: "https://www.plivo.com/docs/messaging/api/overview/",
});
