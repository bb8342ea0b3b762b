/**
 * Simulated Google Calendar API v3 (mounted where .../calendar/v3 would be): calendars.get and
 * calendarList.list with a Bearer access token, and Google's `{error: {code, message, errors,
 * status}}` bodies (401 `required` without a token, 401 `authError` for a bad one, 404 `notFound`);
 * events, freeBusy and push channels in ./google_calendar/events.ts.
 */
import { simulator } from "../lib.ts";
import type { SimulatedOAuth } from "../oauth/types.ts";
import { channelsApi } from "./google_calendar/channels.ts";
import { authFailure, googleError } from "./google_calendar/errors.ts";
import { eventsApi } from "./google_calendar/events.ts";

export const google_calendar = simulator();

const PRIMARY = "sandbox.user@example.com";

/** A calendar resource: `primary` is the user's own; other IDs must look like calendar IDs. */
function calendar(id: string) {
  const own = id === "primary" || id === PRIMARY;
  if (!own && !id.includes("@")) return null;
  return {
    kind: "calendar#calendar",
    etag: '"sbx-etag-1"',
    id: own ? PRIMARY : id,
    summary: own ? PRIMARY : "Sandbox Bookings",
    timeZone: "Europe/London",
    conferenceProperties: { allowedConferenceSolutionTypes: ["hangoutsMeet"] },
  };
}

google_calendar.get("/calendars/:calendarId", (c) => {
  const denied = authFailure(c.req.header("authorization"));
  if (denied) return denied;
  const found = calendar(c.req.param("calendarId"));
  if (!found) return googleError(404, "NOT_FOUND", "Not Found", "notFound");
  return c.json(found);
});

google_calendar.get("/users/me/calendarList", (c) => {
  const denied = authFailure(c.req.header("authorization"));
  if (denied) return denied;
  const primary = calendar("primary");
  return c.json({
    kind: "calendar#calendarList",
    etag: '"sbx-list-etag"',
    nextSyncToken: "sbx-sync-token",
    items: [{ ...primary, kind: "calendar#calendarListEntry", accessRole: "owner", primary: true }],
  });
});

google_calendar.route("/", eventsApi);
google_calendar.route("/", channelsApi);

/**
 * Google's authorization server: `/o/oauth2/v2/auth`, `POST /token`, `POST /revoke` (`{}` for
 * a known token, `invalid_token` otherwise). A refresh token only with `access_type=offline`;
 * it never rotates.
 */
export const googleCalendarOAuth: SimulatedOAuth = {
  id: "google_calendar",
  name: "Google",
  authorize: "/o/oauth2/v2/auth",
  scopeSeparator: /[\s+]+/,
  accessTtl: 3599,
  refresh: "static",
  grace: 0,
  offline: (q) => q.access_type === "offline",
  token: {
    path: "/token",
    clientAuth: "either",
    body: ({ access, refresh, grant }) => ({
      access_token: access.token,
      expires_in: access.expiresIn,
      ...(refresh ? { refresh_token: refresh } : {}),
      scope: grant.scopes.join(" "),
      token_type: "Bearer",
    }),
  },
  revoke: {
    path: "/revoke",
    unknownToken: { error: "invalid_token", error_description: "Token expired or revoked" },
    json: true,
  },
};
