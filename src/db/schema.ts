/**
 * The D1 schema. Every row that belongs to an organization carries `org_id`, and every query
 * on such a table is scoped by it. Migrations are generated from this module with drizzle-kit.
 *
 * The tables live by area in src/db/schema/; this module re-exports them all, so importers and
 * drizzle-kit see one schema.
 */

export * from "./jobs-schema.ts";
export * from "./schema/events.ts";
export * from "./schema/limits.ts";
export * from "./schema/messages.ts";
export * from "./schema/oauth.ts";
export * from "./schema/orgs.ts";
export * from "./schema/sync.ts";
export * from "./schema/webhooks.ts";
