// Instagram messaging: Graph access token; sends Instagram Direct messages and receives messaging webhooks.

import { metaAppSecretFields } from "../common-fields.ts";
import { defineProvider } from "../define.ts";
import { metaApp } from "../meta-app.ts";
import { send, test } from "./client.ts";
import { oauth } from "./oauth.ts";
import { webhook } from "./webhook.ts";

export const provider = defineProvider({
  id: "instagram",
  category: "social",
  displayName: "Instagram",
  description:
    "Sends and receives Instagram Direct messages for a professional account through the Instagram Graph API.",
  authKind: "bearer",
  // Instagram API with Instagram Login; calls add the pinned Graph version to the path
  // (GRAPH_VERSION in facebook/graph.ts).
  defaultBaseUrl: "https://graph.instagram.com",
  fields: [
    {
      name: "access_token",
      label: "Access Token",
      type: "password",
      required: true,
      secret: true,
      help: "A Meta Graph access token with instagram_business_basic and instagram_business_manage_messages.",
    },
    {
      name: "instagram_scoped_id",
      label: "Instagram Account ID",
      type: "text",
      required: true,
      secret: false,
      help: "The Instagram professional account (or thread) ID messages are sent from.",
    },
    ...metaAppSecretFields(),
  ],
  tokenField: "access_token",
  test,
  send,
  webhook,
  ...metaApp,
  webhookVerifyToken: true,
  oauth,
  // Graph API reads are GET; a `method` query parameter turns a GET into a write, so none may
  // carry one.
  proxyReadOnly: [{ path: "/**", forbidQuery: ["method"] }],
  channels: ["instagram"],
  docsUrl: "https://developers.facebook.com/docs/instagram-platform",
});
