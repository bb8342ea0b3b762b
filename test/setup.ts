import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

// Every database gets the same migrations: DB, and the shard of organizations' high-volume rows.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
await applyD1Migrations(env.DB_SHARD_1, env.TEST_MIGRATIONS);
