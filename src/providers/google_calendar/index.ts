// Google Calendar: OAuth 2.0 with offline access (refresh token); lists and creates events on a calendar.

import { oauthAppFields, oauthTokenFields } from "../common-fields.ts";
import { defineProvider } from "../define.ts";
import { REST_READS } from "../proxy-read-only.ts";
import { test } from "./client.ts";
import { oauth } from "./oauth.ts";

export const provider = defineProvider({
  id: "google_calendar",
  category: "calendar",
  displayName: "Google Calendar",
  description: "Lists and creates events on a Google Calendar for booking sync.",
  authKind: "oauth2",
  defaultBaseUrl: "https://www.googleapis.com/calendar/v3",
  fields: [
    ...oauthTokenFields("Filled in by the OAuth connection (offline access)."),
    ...oauthAppFields("Google Cloud OAuth client", { where: "APIs & Services → Credentials" }),
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
  test,
  oauth,
  // Calendar API v3: reads are GET; writes (and the freeBusy query) use the other methods.
  proxyReadOnly: REST_READS,
  calendar: true,
  docsUrl: "https://developers.google.com/workspace/calendar/api/guides/overview",
});
