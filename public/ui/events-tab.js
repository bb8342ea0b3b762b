// @ts-check
// The detail view's events tab of a calendar integration: its upcoming events, read from the
// records API (what the last sync brought in), and the push channel that keeps them current.

import { api } from "./api.js";
import { banner, fmtDate, h, table } from "./dom.js";

/** @import { CalendarEventData, CalendarWatch, Integration, SyncedRecord } from "./types.js" */
/** @typedef {SyncedRecord<CalendarEventData>} CalendarEvent */

/** Upcoming events shown at most. */
const SHOWN = 50;
/** Record pages read at most (200 each). */
const PAGES = 10;

/** @param {CalendarEvent} e */
const startMs = (e) => Date.parse(e.data.start?.date_time ?? `${e.data.start?.date}T00:00:00`);
/** @param {CalendarEvent} e */
const endMs = (e) => Date.parse(e.data.end?.date_time ?? `${e.data.end?.date}T00:00:00`);

/** @param {CalendarEvent} e */
function when(e) {
  if (e.data.all_day) {
    const day = e.data.start?.date ?? "";
    return `${new Date(`${day}T00:00:00`).toLocaleDateString()} (all day)`;
  }
  return fmtDate(e.data.start?.date_time);
}

/**
 * Every live event record of the integration (a few pages at most), upcoming first.
 * @param {string} id
 * @param {number} [now]
 * @returns {Promise<CalendarEvent[]>}
 */
export async function upcomingEvents(id, now = Date.now()) {
  /** @type {CalendarEvent[]} */
  const out = [];
  /** @type {string | null} */
  let cursor = null;
  for (let page = 0; page < PAGES; page++) {
    const q = `?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    /** @type {{ records: CalendarEvent[], next_cursor: string | null }} */
    const r = await api("GET", `/api/integrations/${id}/records/events${q}`);
    out.push(...r.records);
    cursor = r.next_cursor;
    if (!cursor) break;
  }
  return out
    .filter((e) => (Number.isFinite(endMs(e)) ? endMs(e) : startMs(e)) >= now)
    .sort((a, b) => startMs(a) - startMs(b))
    .slice(0, SHOWN);
}

/**
 * @param {Integration} i
 * @param {HTMLElement} panel
 */
export async function renderEvents(i, panel) {
  const [events, watch] = await Promise.all([
    upcomingEvents(i.id),
    api("GET", `/api/integrations/${i.id}/calendar/watch`).then(
      (/** @type {{ watch: CalendarWatch }} */ r) => r.watch,
      () => null,
    ),
  ]);
  const watching = watch?.channel_id
    ? `Watching for changes until ${fmtDate(watch.expires_at)} (renewed automatically).`
    : "Not watching for changes: events update when a sync runs.";
  const watchButton = h(
    "button",
    {
      type: "button",
      class: "btn",
      id: "watch-calendar",
      onclick: async () => {
        try {
          await api("POST", `/api/integrations/${i.id}/calendar/watch`);
          banner("Watching the calendar for changes.", "ok");
          await renderEvents(i, panel);
        } catch (error) {
          banner(/** @type {Error} */ (error).message, "fail");
        }
      },
    },
    watch?.channel_id ? "Renew watch" : "Watch for changes",
  );
  panel.replaceChildren(
    h("p", { class: "muted", id: "watch-state" }, watching, " ", watchButton),
    table(
      "Upcoming events",
      [
        ["When", when],
        ["Summary", (e) => e.data.summary],
        ["Location", (e) => e.data.location],
        [
          "Attendees",
          (e) => (e.data.attendees ?? []).map((a) => a.display_name || a.email).join(", ") || null,
        ],
        ["Status", (e) => e.data.status],
        [
          "Link",
          (e) =>
            e.data.html_link
              ? h("a", { href: e.data.html_link, target: "_blank", rel: "noopener noreferrer" }, "Open")
              : null,
        ],
      ],
      events,
    ),
  );
}
