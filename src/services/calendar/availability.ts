/**
 * Availability over a calendar provider's free/busy: busy intervals per calendar for a time
 * range and, when asked, the free slots of a given length that every calendar has open.
 */
import type { BusyInterval, FreeBusyResult } from "../../providers/calendar.ts";

/** At most this many free slots in one answer. */
export const MAX_SLOTS = 500;

/**
 * Consecutive slots of `minutes` from `timeMin` to `timeMax` that overlap no busy interval of
 * any calendar (a slot starts at the end of a busy interval when one cuts the walk).
 */
export function freeSlots(
  result: FreeBusyResult,
  timeMin: string,
  timeMax: string,
  minutes: number,
): BusyInterval[] {
  const busy = Object.values(result)
    .flatMap((c) => c.busy)
    .map((b) => ({ start: Date.parse(b.start), end: Date.parse(b.end) }))
    .filter((b) => Number.isFinite(b.start) && Number.isFinite(b.end) && b.end > b.start)
    .sort((a, b) => a.start - b.start);
  const length = minutes * 60_000;
  const end = Date.parse(timeMax);
  const out: BusyInterval[] = [];
  let t = Date.parse(timeMin);
  let i = 0;
  while (t + length <= end && out.length < MAX_SLOTS) {
    while (i < busy.length && (busy[i]?.end ?? 0) <= t) i++;
    const next = busy[i];
    if (next && next.start < t + length) {
      t = Math.max(t, next.end);
      continue;
    }
    out.push({ start: new Date(t).toISOString(), end: new Date(t + length).toISOString() });
    t += length;
  }
  return out;
}
