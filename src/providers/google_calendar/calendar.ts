/**
 * Google Calendar free/busy (`POST /freeBusy`) and push-notification channels
 * (`POST /calendars/{id}/events/watch`, `POST /channels/stop`; providers.md §14).
 */
import type { FreeBusyResult, ProviderCalendar } from "../calendar.ts";
import { oauthBearer } from "../other/bearer.ts";
import { field, type ProviderContext, ProviderError, request } from "../runtime.ts";
import { str } from "../sync.ts";
import { calendarId, calendarPath, failure } from "./client.ts";

/** `POST /freeBusy` for the calendars and range; each calendar's busy intervals or errors. */
export async function freeBusy(
  ctx: ProviderContext,
  req: { timeMin: string; timeMax: string; calendars: string[]; timeZone?: string },
): Promise<FreeBusyResult> {
  const res = await request(ctx, {
    method: "POST",
    path: "/freeBusy",
    headers: oauthBearer(ctx),
    json: {
      timeMin: req.timeMin,
      timeMax: req.timeMax,
      ...(req.timeZone ? { timeZone: req.timeZone } : {}),
      items: req.calendars.map((id) => ({ id })),
    },
  });
  if (res.status !== 200) throw failure(res);
  const calendars = field(res.data, "calendars");
  const out: FreeBusyResult = {};
  for (const id of req.calendars) {
    const entry =
      calendars && typeof calendars === "object" ? (calendars as Record<string, unknown>)[id] : undefined;
    const busy = field(entry, "busy");
    const errors = field(entry, "errors");
    out[id] = {
      busy: Array.isArray(busy)
        ? busy.flatMap((b) => {
            const start = str(field(b, "start"));
            const end = str(field(b, "end"));
            return start && end ? [{ start, end }] : [];
          })
        : [],
      ...(Array.isArray(errors) && errors.length
        ? {
            errors: errors.map((e) => ({
              reason: String(field(e, "reason") ?? "unknown"),
              ...(str(field(e, "domain")) ? { domain: String(field(e, "domain")) } : {}),
            })),
          }
        : entry === undefined
          ? { errors: [{ reason: "notFound" }] }
          : {}),
    };
  }
  return out;
}

export const calendar: ProviderCalendar = {
  defaultCalendar: (config) => calendarId({ config }),
  freeBusy,
  watch: {
    entity: "events",
    // Google caps calendar channels at about a month; a week, renewed by cron a day ahead.
    ttlSeconds: 7 * 24 * 3600,
    async start(ctx, req) {
      const res = await request(ctx, {
        method: "POST",
        path: calendarPath(ctx, "/events/watch"),
        headers: oauthBearer(ctx),
        json: {
          id: req.id,
          type: "web_hook",
          address: req.address,
          token: req.token,
          expiration: String(req.expiresAt),
        },
      });
      if (res.status !== 200) throw failure(res);
      const resourceId = str(field(res.data, "resourceId"));
      if (!resourceId)
        throw new ProviderError("transient", "Google Calendar: the channel came back without a resourceId");
      const expiration = Number(field(res.data, "expiration"));
      return {
        id: str(field(res.data, "id")) ?? req.id,
        resourceId,
        expiresAt: Number.isFinite(expiration) && expiration > 0 ? expiration : req.expiresAt,
      };
    },
    async stop(ctx, channel) {
      const res = await request(ctx, {
        method: "POST",
        path: "/channels/stop",
        headers: oauthBearer(ctx),
        json: { id: channel.id, resourceId: channel.resourceId },
      });
      // 404: Google no longer knows the channel (expired or stopped), which is what was asked.
      if (res.status !== 204 && res.status !== 200 && res.status !== 404) throw failure(res);
    },
  },
};
