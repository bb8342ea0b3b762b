/** Google Calendar test helpers: a calendar integration of its own, and the simulator's control endpoints. */
import { call, newIntegration, type TestOrg } from "../harness.ts";

const SIM = "/sandbox/google_calendar/_control/calendars";

/** A Google Calendar integration on a calendar no other test uses. */
export async function newCalendar(org: TestOrg) {
  const calendarId = `bookings-${crypto.randomUUID()}@group.calendar.google.com`;
  const integration = await newIntegration(org, {
    provider: "google_calendar",
    name: `Calendar ${crypto.randomUUID().slice(0, 8)}`,
    access_token: "ya29.sandbox-access-token",
    calendar_id: calendarId,
  });
  return { id: integration.id as string, calendarId };
}

/** Changes the calendar as its user would in Google Calendar: `{events: [Event], cancel: [ids]}`. */
export const seed = (cal: string, body: Record<string, unknown>) =>
  call("POST", `${SIM}/${encodeURIComponent(cal)}/events`, { body });

/** Expires every sync token of the calendar. */
export const expireTokens = (cal: string) => call("POST", `${SIM}/${encodeURIComponent(cal)}/expire-tokens`);

/** The simulator's state of a calendar: events (with `send_updates`), channels, requests. */
// biome-ignore lint/suspicious/noExplicitAny: the simulator's state as JSON
export const state = async (cal: string): Promise<any> =>
  (await call("GET", `${SIM}/${encodeURIComponent(cal)}`)).json;

/** A timed Google event resource. */
export const timed = (
  id: string,
  start: string,
  end: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> => ({
  id,
  summary: `Booking ${id}`,
  start: { dateTime: start, timeZone: "Europe/London" },
  end: { dateTime: end, timeZone: "Europe/London" },
  ...extra,
});
