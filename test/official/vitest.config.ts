/**
 * The official-libraries project: webhooks signed with the providers' own Node libraries
 * (twilio, @hubspot/api-client, plivo, @sendgrid/eventwebhook, standardwebhooks, ...), which do
 * not run inside workerd. `sandbox-senders.spec.ts` checks the simulator's senders in Node;
 * `signed-webhooks.spec.ts` posts to the real worker, started by the client project's global
 * setup. Run it with `vitest run -c test/official/vitest.config.ts` from the project root.
 */
import { resolve } from "node:path";
import { defineConfig } from "vitest/config";
import { freePort } from "../../scripts/lib.ts";

export default defineConfig(async () => ({
  root: resolve(import.meta.dirname, "../.."),
  resolve: { alias: { "cloudflare:sockets": resolve(import.meta.dirname, "cloudflare-sockets.ts") } },
  test: {
    name: "official",
    // `.spec.ts`, so the workerd projects (which take `test/**/*.test.ts`) leave these alone.
    include: ["test/official/**/*.spec.ts"],
    environment: "node",
    // The worker's origin; the client project's global setup starts the worker there.
    env: { VITE_API_BASE_URL: `http://127.0.0.1:${await freePort()}` },
    globalSetup: ["test/client/global-setup.ts"],
    testTimeout: 30_000,
    silent: "passed-only" as const,
  },
}));
