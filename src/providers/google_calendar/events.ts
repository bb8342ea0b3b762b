/**
 * Google Calendar event resources (API v3 `Event`) mapped onto the hub's normalized event and
 * back: `start`/`end` are `{dateTime, timeZone}` or `{date}` for all-day events; attendees keep
 * email, display name and response status.
 */
import { field } from "../runtime.ts";
import {
  ATTENDEE_RESPONSES,
  type EventData,
  type EventPerson,
  type EventTime,
  isoFrom,
  str,
} from "../sync.ts";

const RESPONSES = new Set<string>(ATTENDEE_RESPONSES);
const STATUSES = new Set(["confirmed", "tentative", "cancelled"]);

function time(value: unknown): EventTime {
  const date = str(field(value, "date"));
  if (date) return { date_time: null, date, time_zone: str(field(value, "timeZone")) };
  return {
    date_time: str(field(value, "dateTime")),
    date: null,
    time_zone: str(field(value, "timeZone")),
  };
}

function person(value: unknown): EventPerson | null {
  const email = str(field(value, "email"));
  if (!email) return null;
  const response = str(field(value, "responseStatus"));
  return {
    email,
    display_name: str(field(value, "displayName")),
    ...(response && RESPONSES.has(response)
      ? { response_status: response as EventPerson["response_status"] }
      : {}),
  };
}

/** The normalized event of a Google event resource. */
export function toEvent(item: unknown): EventData {
  const start = time(field(item, "start"));
  const attendees = field(item, "attendees");
  const status = str(field(item, "status"));
  return {
    summary: str(field(item, "summary")),
    description: typeof field(item, "description") === "string" ? String(field(item, "description")) : null,
    location: str(field(item, "location")),
    start,
    end: time(field(item, "end")),
    all_day: Boolean(start.date),
    status: status && STATUSES.has(status) ? (status as EventData["status"]) : null,
    attendees: Array.isArray(attendees) ? attendees.flatMap((a) => person(a) ?? []) : [],
    organizer: person(field(item, "organizer")),
    html_link: str(field(item, "htmlLink")),
    recurring_event_id: str(field(item, "recurringEventId")),
    updated: isoFrom(field(item, "updated")),
  };
}

const googleTime = (t: EventTime, allDay: boolean) =>
  allDay || t.date
    ? { date: t.date ?? t.date_time?.slice(0, 10) }
    : { dateTime: t.date_time, ...(t.time_zone ? { timeZone: t.time_zone } : {}) };

/**
 * The Google event body of a normalized event (what insert and patch send). The organizer,
 * link, recurrence id and update time are Google's and are not sent.
 */
export function fromEvent(data: EventData): Record<string, unknown> {
  const allDay = data.all_day === true;
  return {
    ...(data.summary != null ? { summary: data.summary } : {}),
    ...(data.description != null ? { description: data.description } : {}),
    ...(data.location != null ? { location: data.location } : {}),
    start: googleTime(data.start, allDay),
    end: googleTime(data.end, allDay),
    ...(data.status && data.status !== "cancelled" ? { status: data.status } : {}),
    ...(data.attendees?.length
      ? {
          attendees: data.attendees.map((a) => ({
            email: a.email,
            ...(a.display_name ? { displayName: a.display_name } : {}),
            ...(a.response_status ? { responseStatus: a.response_status } : {}),
          })),
        }
      : {}),
  };
}

/** An event's interval in ms (all-day dates as UTC midnights). */
export function intervalOf(data: Pick<EventData, "start" | "end">): { start: number; end: number } {
  const at = (t: EventTime) => Date.parse(t.date_time ?? `${t.date}T00:00:00Z`);
  return { start: at(data.start), end: at(data.end) };
}
