/**
 * Simulated free/busy and push channels: `POST /freeBusy` (busy intervals of each calendar's
 * opaque events in the range, merged and clipped; `notFound` for an unknown calendar),
 * `POST /calendars/{id}/events/watch` (a web_hook channel to an HTTPS address, ids unique, at
 * most 30 days) and `POST /channels/stop` (404 for a channel it does not know).
 */
import { Hono } from "hono";
import { authFailure, badRequest, googleError } from "./errors.ts";
import { jsonBody, listing, startOf } from "./events.ts";
import { calendarOf, channels, knownCalendar, resourceIdOf } from "./store.ts";

export const channelsApi = new Hono<{ Bindings: Env }>();

channelsApi.post("/freeBusy", async (c) => {
  const denied = authFailure(c.req.header("authorization"));
  if (denied) return denied;
  const b = await jsonBody(c.req.raw);
  if (!b) return badRequest("Parse Error", "parseError");
  const min = Date.parse(String(b.timeMin ?? ""));
  const max = Date.parse(String(b.timeMax ?? ""));
  if (!Number.isFinite(min)) return badRequest("Missing timeMin parameter.", "required");
  if (!Number.isFinite(max)) return badRequest("Missing timeMax parameter.", "required");
  if (max <= min) return badRequest("The specified time range is empty.", "timeRangeEmpty");
  const items = Array.isArray(b.items) ? (b.items as { id?: unknown }[]) : [];
  const out: Record<string, unknown> = {};
  for (const item of items) {
    const id = String(item?.id ?? "");
    if (!knownCalendar(id)) {
      out[id] = { errors: [{ domain: "global", reason: "notFound" }], busy: [] };
      continue;
    }
    const cal = calendarOf(id);
    cal.requests.push({ method: "POST", path: "/freeBusy", query: {} });
    const spans = listing(cal, null, cal.seq, true, false)
      .filter((e) => e.transparency !== "transparent")
      .map((e) => ({ s: Math.max(min, startOf(e.start)), e: Math.min(max, startOf(e.end)) }))
      .filter((x) => x.e > x.s)
      .sort((a, b) => a.s - b.s);
    const merged: { s: number; e: number }[] = [];
    for (const x of spans) {
      const last = merged[merged.length - 1];
      if (last && x.s <= last.e) last.e = Math.max(last.e, x.e);
      else merged.push({ ...x });
    }
    const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");
    out[id] = { busy: merged.map((x) => ({ start: iso(x.s), end: iso(x.e) })) };
  }
  return c.json({ kind: "calendar#freeBusy", timeMin: b.timeMin, timeMax: b.timeMax, calendars: out });
});

channelsApi.post("/calendars/:cal/events/watch", async (c) => {
  const cal = calendarOf(c.req.param("cal"));
  const b = await jsonBody(c.req.raw);
  if (!b) return badRequest("Parse Error", "parseError");
  const id = typeof b.id === "string" ? b.id : "";
  if (!/^[A-Za-z0-9\-_+/=]{1,64}$/.test(id)) return badRequest("Invalid channel id value.", "required");
  if (b.type !== "web_hook" && b.type !== "webhook") return badRequest("Invalid channel type.", "invalid");
  if (typeof b.address !== "string" || !b.address.startsWith("https://"))
    return badRequest(`WebHook callback must be HTTPS: ${String(b.address)}`, "push.webhookUrlNotHttps");
  if (channels.has(id)) return badRequest(`Channel id ${id} not unique`, "channelIdNotUnique");
  const wanted = Number(b.expiration ?? 0);
  const cap = Date.now() + 30 * 86_400_000;
  const channel = {
    id,
    resourceId: resourceIdOf(cal.id),
    calendar: cal.id,
    address: b.address,
    token: typeof b.token === "string" ? b.token : null,
    expiration: wanted > 0 ? Math.min(wanted, cap) : Date.now() + 7 * 86_400_000,
    stopped: false,
  };
  channels.set(id, channel);
  return c.json({
    kind: "api#channel",
    id,
    resourceId: channel.resourceId,
    resourceUri: `https://www.googleapis.com/calendar/v3/calendars/${encodeURIComponent(cal.id)}/events?alt=json`,
    ...(channel.token ? { token: channel.token } : {}),
    expiration: String(channel.expiration),
  });
});

channelsApi.post("/channels/stop", async (c) => {
  const denied = authFailure(c.req.header("authorization"));
  if (denied) return denied;
  const b = await jsonBody(c.req.raw);
  const ch = channels.get(String(b?.id ?? ""));
  if (!ch || ch.stopped || ch.resourceId !== b?.resourceId)
    return googleError(
      404,
      "NOT_FOUND",
      `Channel '${String(b?.id)}' not found for project 'sandbox'`,
      "notFound",
    );
  ch.stopped = true;
  return c.body(null, 204);
});
