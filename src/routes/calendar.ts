/**
 * Calendar integrations: availability over the provider's free/busy (busy intervals per
 * calendar, optional free slots), and the push-notification channel that keeps the
 * integration's events synced.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { orgAuth } from "../middleware/auth.ts";
import { MAX_RANGE_DAYS } from "../services/calendar.ts";
import { integrationIdOf } from "./integrations/input.ts";
import { IdParam } from "./integrations/schema.ts";
import { createRouter, errorResponses, jsonResponse, security } from "./openapi.ts";

export const calendarApi = createRouter();
const tags = ["Calendar"];

const Time = z.iso.datetime({ offset: true });

export const AvailabilityBody = z
  .object({
    time_min: Time.openapi({ description: "Start of the range (RFC 3339)", example: "2026-12-07T09:00:00Z" }),
    time_max: Time.openapi({ description: "End of the range (RFC 3339)", example: "2026-12-07T17:00:00Z" }),
    calendars: z
      .array(z.string().min(1).max(1024))
      .max(50)
      .optional()
      .openapi({ description: "Calendar ids; the integration's `calendar_id` when omitted" }),
    time_zone: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .openapi({ description: "IANA zone the provider answers in" }),
    slot_minutes: z.number().int().min(5).max(1440).optional().openapi({
      description: "Also list the free slots of this length open in every calendar (at most 500)",
    }),
  })
  .strict()
  .openapi({ description: `time_max after time_min, ${MAX_RANGE_DAYS} days at most` });

const Interval = z.object({ start: z.string(), end: z.string() });

const AvailabilityResponse = z
  .object({
    time_min: z.string(),
    time_max: z.string(),
    calendars: z.record(
      z.string(),
      z.object({
        busy: z.array(Interval),
        errors: z.array(z.object({ domain: z.string().optional(), reason: z.string() })).optional(),
      }),
    ),
    free_slots: z.array(Interval).optional(),
  })
  .openapi("Availability");

const WatchSchema = z
  .object({
    channel_id: z.string().nullable(),
    resource_id: z.string().nullable(),
    expires_at: z
      .string()
      .nullable()
      .openapi({ description: "When the provider ends the channel; cron renews it a day before" }),
    address: z
      .string()
      .nullable()
      .openapi({ description: "Where notifications go (the integration's webhook URL)" }),
  })
  .openapi("CalendarWatch");
const WatchEnvelope = z.object({ watch: WatchSchema });

calendarApi.openapi(
  createRoute({
    method: "post",
    path: "/{id}/calendar/availability",
    tags,
    security,
    summary: "Busy intervals and free slots of one or more calendars (free/busy)",
    description:
      "Asks the provider's free/busy (Google `POST /freeBusy`) for each calendar over the range; with `slot_minutes`, also the consecutive free slots of that length open in every calendar. Needs an admin key.",
    request: {
      params: IdParam,
      body: { required: true, content: { "application/json": { schema: AvailabilityBody } } },
    },
    responses: { 200: jsonResponse(AvailabilityResponse, "Availability"), ...errorResponses },
  }),
  async (c) => {
    const b = c.req.valid("json");
    const result = await c
      .get("services")
      .calendar.availability(orgAuth(c).orgId, await integrationIdOf(c, c.req.valid("param").id), {
        timeMin: new Date(b.time_min).toISOString(),
        timeMax: new Date(b.time_max).toISOString(),
        ...(b.calendars ? { calendars: b.calendars } : {}),
        ...(b.time_zone ? { timeZone: b.time_zone } : {}),
        ...(b.slot_minutes ? { slotMinutes: b.slot_minutes } : {}),
      });
    return c.json(result, 200);
  },
);

calendarApi.openapi(
  createRoute({
    method: "get",
    path: "/{id}/calendar/watch",
    tags,
    security,
    summary: "The calendar's push-notification channel",
    request: { params: IdParam },
    responses: {
      200: jsonResponse(WatchEnvelope, "The channel (nulls when none is open)"),
      ...errorResponses,
    },
  }),
  async (c) => {
    const watch = await c
      .get("services")
      .calendar.watchStatus(orgAuth(c).orgId, await integrationIdOf(c, c.req.valid("param").id));
    return c.json({ watch }, 200);
  },
);

calendarApi.openapi(
  createRoute({
    method: "post",
    path: "/{id}/calendar/watch",
    tags,
    security,
    summary: "Watch the calendar for changes (open or renew its push channel)",
    description:
      "Opens a push-notification channel at the provider (Google `events.watch`) to the integration's webhook URL with a random token kept in the vault; an open one is replaced. Each notification starts an incremental sync of the events; cron renews the channel a day before it ends, and disconnecting or deleting the integration stops it.",
    request: { params: IdParam },
    responses: { 200: jsonResponse(WatchEnvelope, "The open channel"), ...errorResponses },
  }),
  async (c) => {
    const auth = orgAuth(c);
    const watch = await c
      .get("services")
      .calendar.watch(auth.orgId, await integrationIdOf(c, c.req.valid("param").id), auth.actor);
    return c.json({ watch }, 200);
  },
);

calendarApi.openapi(
  createRoute({
    method: "delete",
    path: "/{id}/calendar/watch",
    tags,
    security,
    summary: "Stop watching the calendar",
    request: { params: IdParam },
    responses: { 200: jsonResponse(WatchEnvelope, "Stopped"), ...errorResponses },
  }),
  async (c) => {
    const auth = orgAuth(c);
    const watch = await c
      .get("services")
      .calendar.unwatch(auth.orgId, await integrationIdOf(c, c.req.valid("param").id), auth.actor);
    return c.json({ watch }, 200);
  },
);
