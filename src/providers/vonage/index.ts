// Vonage (Nexmo) SMS: basic auth with API key and secret; sends SMS; signed delivery receipts.
import { smsSenderFields } from "../common-fields.ts";
import { defineProvider } from "../define.ts";
import { send, test } from "./client.ts";
import { authorize } from "./proxy.ts";
import { webhookSetup } from "./setup.ts";
import { webhook } from "./webhook.ts";

export const provider = defineProvider({
  id: "vonage",
  category: "sms",
  displayName: "Vonage (Nexmo)",
  description:
    "Sends SMS through the Vonage SMS API and receives its delivery receipts and inbound messages.",
  authKind: "basic",
  defaultBaseUrl: "https://rest.nexmo.com",
  fields: [
    ...smsSenderFields("A Vonage virtual number in E.164 form."),
    {
      name: "api_key",
      label: "API Key",
      type: "text",
      required: true,
      secret: false,
      placeholder: "a1b2c3d4",
      help: "Vonage API Dashboard → API key (the public identifier).",
    },
    {
      name: "api_secret",
      label: "API Secret",
      type: "password",
      required: true,
      secret: true,
      placeholder: "Ab1Cd2Ef3Gh4Ij5K",
      help: "Vonage API Dashboard → API secret.",
    },
    {
      name: "signature_secret",
      label: "Signature Secret",
      type: "password",
      required: false,
      secret: true,
      help: "Dashboard → Settings → signature secret; verifies the sig parameter of inbound messages and receipts.",
    },
    {
      name: "signature_method",
      label: "Signature Method",
      type: "select",
      required: false,
      secret: false,
      options: ["sha256", "sha512", "sha1", "md5", "md5hash"],
      default: "sha256",
      help: "The signature method chosen next to the signature secret in the dashboard: sha256, sha512, sha1 or md5 for the HMAC methods (HMAC-SHA256, HMAC-SHA512, HMAC-SHA1, HMAC-MD5), md5hash for the MD5 hash.",
    },
  ],
  tokenField: "api_secret",
  test,
  send,
  webhook,
  webhookSetup,
  authorize,
  // The SMS API sends with GET too (`GET /sms/json?to=…&text=…`): only these account and
  // search calls read.
  proxyReadOnly: [
    "/account/get-balance",
    "/account/numbers",
    "/account/get-pricing/outbound/*",
    "/account/get-full-pricing/outbound/*",
    "/search/message",
    "/search/messages",
    "/search/rejections",
  ].map((path) => ({ path })),
  channels: ["sms"],
  docsUrl: "https://developer.vonage.com/en/messaging/sms/overview",
});
