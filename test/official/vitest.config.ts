/**
 * The official-libraries project: webhooks signed with the providers' own Node libraries
 * (twilio, @hubspot/api-client, plivo, @sendgrid/eventwebhook, standardwebhooks, ...), which do
 * not run inside workerd. `sandbox-senders.spec.ts` checks the simulator's senders in Node;
 * `signed-webhooks.spec.ts` posts to the real worker, started by the client project's global
 * setup. Run it with `vitest run -c test/official/vitest.config.ts` from the project root.
 */
import { createServer } from "node:net";
import { resolve } from "node:path";
import { defineConfig } from "vitest/config";

/** A TCP port that was free a moment ago on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.on("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? res(addr.port) : rej(new Error("no port"))));
    });
  });
}

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
