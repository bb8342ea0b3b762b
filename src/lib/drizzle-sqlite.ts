/**
 * What drizzle's `sql.js` imports from its Postgres column types in the deployed bundle
 * (wrangler.toml `[alias]`): only `isPgEnum`, asked of every SQL chunk drizzle renders. D1 has no
 * Postgres enum, so the answer is always no, and the ~6 KiB of Postgres column, table and key
 * classes that the real function would pull in stay out of the bundle.
 */
export const isPgEnum = (_value: unknown): false => false;
