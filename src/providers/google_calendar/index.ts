// Google Calendar: OAuth 2.0 with offline access (refresh token); syncs, books and cancels events,
// answers free/busy, and watches the calendar for changes with push notification channels.

import { oauthAppFields, oauthTokenFields } from "../common-fields.ts";
import { defineProvider } from "../define.ts";
import { REST_READS } from "../proxy-read-only.ts";
import { calendar } from "./calendar.ts";
import { test } from "./client.ts";
import { oauth } from "./oauth.ts";
import { sync } from "./sync.ts";
import { webhook } from "./webhook.ts";

export const provider = defineProvider({
  id: "google_calendar",
  category: "calendar",
  displayName: "Google Calendar",
  description:
    "Syncs a Google Calendar's events, books, updates and cancels events, answers free/busy and watches the calendar for changes.",
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
  sync,
  webhook,
  calendar,
  // Calendar API v3: reads are GET; writes (and the freeBusy query) use the other methods.
  proxyReadOnly: REST_READS,
  docsUrl: "https://developers.google.com/workspace/calendar/api/guides/overview",
});
