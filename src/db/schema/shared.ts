/** What the schema's tables share: the default of their timestamp columns. */
import { sql } from "drizzle-orm";

/** The current time as an ISO 8601 string with milliseconds, in UTC, computed by D1. */
export const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;
