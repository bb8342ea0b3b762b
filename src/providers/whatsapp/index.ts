// WhatsApp through Meta's WhatsApp Business Cloud API: sends messages; message and status webhooks.
import { metaAppSecretFields } from "../common-fields.ts";
import { defineProvider } from "../define.ts";
import { metaApp } from "../meta-app.ts";
import { send, test } from "./client.ts";
import { webhookSetup } from "./setup.ts";
import { webhook } from "./webhook.ts";

export const provider = defineProvider({
  id: "whatsapp",
  category: "whatsapp",
  displayName: "WhatsApp Business (Meta Cloud API)",
  description: "Sends and receives WhatsApp messages through Meta's WhatsApp Business Cloud API.",
  authKind: "bearer",
  // Calls add the pinned Graph version to the path (GRAPH_VERSION in facebook/graph.ts).
  defaultBaseUrl: "https://graph.facebook.com",
  fields: [
    {
      name: "phone_number_id",
      label: "Phone Number ID",
      type: "text",
      required: true,
      secret: false,
      placeholder: "106540352242922",
      help: "WhatsApp Manager → Phone numbers, or the app's WhatsApp → API Setup page.",
    },
    {
      name: "business_account_id",
      label: "Business Account ID",
      type: "text",
      required: true,
      secret: false,
      placeholder: "102290129340398",
      help: "The WhatsApp Business Account (WABA) ID on the API Setup page.",
    },
    {
      name: "access_token",
      label: "Access Token",
      type: "password",
      required: true,
      secret: true,
      placeholder: "EAAGexampleSystemUserAccessToken0123",
      help: "A system-user token with whatsapp_business_messaging and whatsapp_business_management.",
    },
    ...metaAppSecretFields(),
  ],
  tokenField: "access_token",
  test,
  send,
  webhook,
  webhookSetup,
  ...metaApp,
  // 002's `integration_type: "whatsapp"` alone; the 004 paths call it `whatsapp_cloud`.
  categoryDefault: true,
  pathAliases: ["whatsapp_cloud"],
  webhookVerifyToken: true,
  // Graph API reads are GET; a `method` query parameter turns a GET into a write, so none may
  // carry one.
  proxyReadOnly: [{ path: "/**", forbidQuery: ["method"] }],
  channels: ["whatsapp"],
  docsUrl: "https://developers.facebook.com/docs/whatsapp/cloud-api",
});
