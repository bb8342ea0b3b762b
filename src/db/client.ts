/** The drizzle client over D1 (or a D1 session). Cheap to create; one per request or job. */
import { drizzle } from "drizzle-orm/d1";

export type Db = ReturnType<typeof createDb>;

/**
 * A session (`DB.withSession(...)`) answers the same `prepare` and `batch` as the database,
 * which is all drizzle's D1 driver calls outside migrations, so it stands in for one.
 *
 * No `schema` is passed: the hub builds its queries with the query builder, never drizzle's
 * relational API (`db.query.*`), and with a schema every client would walk all the tables to
 * build that API's configuration, which cost each request more than its auth.
 */
export const createDb = (d1: D1Database | D1DatabaseSession) => drizzle(d1 as D1Database);
