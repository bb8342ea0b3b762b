/**
 * The simulated calendars' state: events by calendar, each change numbered (a calendar's
 * sequence), sync tokens that remember the sequence they were issued at, push channels, and a
 * log of the requests each calendar got (for tests). Times come from the sequence, not the
 * clock: `updated` is BASE + sequence seconds.
 */

export const PRIMARY = "sandbox.user@example.com";
const BASE = Date.UTC(2026, 0, 1);

export interface SimEvent {
  id: string;
  status: "confirmed" | "tentative" | "cancelled";
  body: Record<string, unknown>;
  seq: number;
  created: string;
  /** The `sendUpdates` of the last write (the sandbox's record of who would be emailed). */
  sendUpdates: string | null;
}

export interface SimChannel {
  id: string;
  resourceId: string;
  calendar: string;
  address: string;
  token: string | null;
  expiration: number;
  stopped: boolean;
}

export interface SimCalendar {
  id: string;
  events: Map<string, SimEvent>;
  seq: number;
  requests: { method: string; path: string; query: Record<string, string> }[];
}

const calendars = new Map<string, SimCalendar>();
/** Sync token → the calendar and sequence it was issued at. */
const tokens = new Map<string, { calendar: string; seq: number }>();
export const channels = new Map<string, SimChannel>();

export const calendarKey = (id: string) => (id === "primary" ? PRIMARY : id);

/** Known calendars: the user's own, any created here, and ids that look like calendar ids. */
export const knownCalendar = (id: string) => id === "primary" || id === PRIMARY || id.includes("@");

export function calendarOf(id: string): SimCalendar {
  const key = calendarKey(id);
  let cal = calendars.get(key);
  if (!cal) {
    cal = { id: key, events: new Map(), seq: 0, requests: [] };
    calendars.set(key, cal);
  }
  return cal;
}

export const stamp = (seq: number) => new Date(BASE + seq * 1000).toISOString();

/** Records a change of an event: the next sequence number. */
export function touch(cal: SimCalendar, e: SimEvent) {
  cal.seq += 1;
  e.seq = cal.seq;
  cal.events.set(e.id, e);
}

export function issueToken(cal: SimCalendar, seq: number): string {
  const token = `CPDAlvWDx${crypto.randomUUID().replace(/-/g, "")}GAU=`;
  tokens.set(token, { calendar: cal.id, seq });
  return token;
}

/** The sequence a sync token was issued at, or null when it is unknown, another calendar's, or expired. */
export function tokenSeq(cal: SimCalendar, token: string): number | null {
  const t = tokens.get(token);
  return t && t.calendar === cal.id ? t.seq : null;
}

/** Expires every sync token of a calendar (what Google does after long disuse or a reset). */
export function expireTokens(cal: SimCalendar) {
  for (const [token, t] of tokens) if (t.calendar === cal.id) tokens.delete(token);
}

/** The stable resource id of a calendar's event collection. */
export const resourceIdOf = (cal: string) =>
  `sbxres${[...calendarKey(cal)].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7).toString(36)}`;
