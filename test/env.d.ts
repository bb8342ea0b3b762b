import type { D1Migration } from "cloudflare:test";

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      /** The development environment's second D1 database (wrangler.toml; src/db/shards.ts). */
      DB_SHARD_1: D1Database;
    }
  }
}
