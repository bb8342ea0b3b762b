// Facebook Page: Messenger send, signed Page webhooks (hub.challenge handshake), Lead Ads to contacts.

import { metaAppSecretFields } from "../common-fields.ts";
import { defineProvider } from "../define.ts";
import { metaApp } from "../meta-app.ts";
import { send, test } from "./client.ts";
import { sync } from "./insights.ts";
import { leads } from "./leads.ts";
import { oauth } from "./oauth.ts";
import { pages } from "./pages.ts";
import { webhook } from "./webhook.ts";

export const provider = defineProvider({
  id: "facebook",
  category: "facebook",
  displayName: "Facebook",
  description:
    "Sends and receives Messenger messages for a Facebook Page, turns Lead Ads submissions into contacts and syncs the Page's insights.",
  authKind: "bearer",
  // Calls add the pinned Graph version to the path (GRAPH_VERSION in facebook/graph.ts).
  defaultBaseUrl: "https://graph.facebook.com",
  fields: [
    {
      name: "access_token",
      label: "Page Access Token",
      type: "password",
      required: true,
      secret: true,
      aliases: ["page_access_token"],
      placeholder: "EAA...",
      help: "A Page access token (or system-user token) with pages_messaging and, for Lead Ads, leads_retrieval; or a user token, then choose the Page.",
    },
    {
      name: "user_access_token",
      label: "User Access Token",
      type: "password",
      required: false,
      secret: true,
      help: "The user token the Pages you manage are listed with (kept by Connect and by choosing a Page).",
    },
    {
      name: "app_id",
      label: "App ID",
      type: "text",
      required: false,
      secret: false,
      aliases: ["api_key"],
      help: "Meta for Developers → your app → App settings → Basic.",
    },
    ...metaAppSecretFields(["api_secret"]),
    {
      name: "page_id",
      label: "Page ID",
      type: "text",
      required: false,
      secret: false,
      help: "Your Page → About → Page transparency, or the number in the Page URL; set by choosing a Page.",
    },
    {
      name: "page_name",
      label: "Page name",
      type: "text",
      required: false,
      secret: false,
      help: "Set by choosing a Page.",
    },
    {
      name: "enable_lead_ads",
      label: "Enable Lead Ads",
      type: "boolean",
      required: false,
      secret: false,
      default: false,
    },
    {
      name: "lead_form_id",
      label: "Lead Form ID",
      type: "text",
      required: false,
      secret: false,
      help: "Only import leads from this form; leave empty for every form on the Page.",
    },
    {
      name: "enable_messenger",
      label: "Enable Messenger",
      type: "boolean",
      required: false,
      secret: false,
      default: true,
    },
    {
      name: "auto_create_contacts",
      label: "Auto-create Contacts",
      type: "boolean",
      required: false,
      secret: false,
      default: true,
    },
    {
      name: "trigger_campaign_id",
      label: "Trigger Campaign on Lead",
      type: "text",
      required: false,
      secret: false,
      help: "Campaign to start for each new lead (optional).",
    },
  ],
  tokenField: "access_token",
  test,
  send,
  webhook,
  ...metaApp,
  leads,
  accounts: pages,
  sync,
  webhookVerifyToken: true,
  oauth,
  // Graph API reads are GET; a `method` query parameter turns a GET into a write, so none may
  // carry one.
  proxyReadOnly: [{ path: "/**", forbidQuery: ["method"] }],
  channels: ["messenger"],
  docsUrl: "https://developers.facebook.com/docs/messenger-platform",
});
