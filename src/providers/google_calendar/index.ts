// Google Calendar: OAuth 2.0 with offline access (refresh token); lists and creates events on a calendar.
import type { Provider } from "../types.ts";

export const provider = {
  id: "google_calendar",
  category: "calendar",
  displayName: "Google Calendar",
  description: "Lists and creates events on a Google Calendar for booking sync.",
  authKind: "oauth2",
  defaultBaseUrl: "https://www.googleapis.com/calendar/v3",
  fields: [
    {
      name: "access_token",
      label: "Access Token",
      type: "password",
      required: false,
      secret: true,
      help: "Filled in by the OAuth connection.",
    },
    {
      name: "refresh_token",
      label: "Refresh Token",
      type: "password",
      required: false,
      secret: true,
      help: "Filled in by the OAuth connection (offline access).",
    },
    {
      name: "client_id",
      label: "Client ID",
      type: "text",
      required: false,
      secret: false,
      help: "Only when connecting through your own Google Cloud OAuth client (APIs & Services → Credentials).",
    },
    {
      name: "client_secret",
      label: "Client Secret",
      type: "password",
      required: false,
      secret: true,
      help: "The client secret of your own Google Cloud OAuth client.",
    },
    {
      name: "calendar_id",
      label: "Calendar ID",
      type: "text",
      required: false,
      secret: false,
      default: "primary",
      help: "primary, or the ID under Google Calendar → Settings → Integrate calendar.",
    },
  ],
  tokenField: "access_token",
  capabilities: {
    test: true,
    send: [],
    webhooks: false,
    oauth: true,
    sync: [],
    calendar: true,
  },
  docsUrl: "https://developers.google.com/workspace/calendar/api/guides/overview",
} satisfies Provider;
