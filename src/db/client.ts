/** The drizzle client over D1 (or a D1 session). Cheap to create; one per request or job. */
import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema.ts";

export type Db = ReturnType<typeof createDb>;

/**
 * A session (`DB.withSession(...)`) answers the same `prepare` and `batch` as the database,
 * which is all drizzle's D1 driver calls outside migrations, so it stands in for one.
 */
export const createDb = (d1: D1Database | D1DatabaseSession) => drizzle(d1 as D1Database, { schema });
