/**
 * The production entry (wrangler.toml `main`): the hub and nothing else. It never imports the
 * provider simulator; the development entry (src/dev.ts) adds it.
 */
import { createApp } from "./app.ts";
import { createWorker } from "./worker.ts";

export default createWorker(createApp());

// Durable Object classes must be exported by the main module (wrangler.toml `durable_objects`).
export { RateBudgets } from "./services/pacing/rate-budgets.ts";
