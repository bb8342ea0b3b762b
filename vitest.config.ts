import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/**
 * Two projects, one `vitest run`:
 * - `worker`: everything except SMTP, with ALLOW_PRIVATE_URLS=false and the Worker's outbound
 *   path (`OUTBOUND`) bound to a workerd network that allows only public addresses, so a name
 *   that resolves to a private address is refused where the connection is made;
 * - `private-network`: the tests that legitimately reach servers on 127.0.0.1 (the SMTP test
 *   servers, the redirect targets), with ALLOW_PRIVATE_URLS=true and the default network.
 */
const PRIVATE_NETWORK_TESTS = ["test/providers/smtp.test.ts", "test/outbound-private.test.ts"];

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  const bindings = {
    TEST_MIGRATIONS: migrations,
    ADMIN_TOKEN: "test-admin-token-0123456789abcdef",
    ENCRYPTION_KEYS: "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
    PUBLIC_URL: "https://hub.test",
    SANDBOX_ENABLED: "true",
    PROVIDER_TIMEOUT_MS: "300",
  };
  // The suite makes hundreds of failing-auth calls from one address; the throttle's own tests
  // (test/auth-throttle.test.ts) replace the binding with a counter that has no clock.
  const ratelimits = {
    RATE_LIMIT_AUTH: { namespace_id: "1001", simple: { limit: 1_000_000, period: 60 as const } },
  };
  const common = {
    // The development entry (wrangler.toml [env.development], src/dev.ts) is imported first in
    // every test file, so services built directly in a test reach the simulator in-process too.
    setupFiles: ["./test/setup.ts", "./src/dev.ts"],
    silent: "passed-only" as const,
    // A timeout only catches a test that hangs; no test asserts speed (that is `npm run bench`).
    // vitest's default of 5 s is a speed limit that a loaded machine breaks: a test that makes a
    // few hundred requests (every route × every bad body) takes longer when the CPU is shared.
    testTimeout: 60_000,
  };
  return {
    test: {
      // Reporter options are read here, not per project: log lines of passing tests stay quiet.
      silent: "passed-only" as const,
      projects: [
        {
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml", environment: "development" },
              miniflare: {
                bindings: { ...bindings, ALLOW_PRIVATE_URLS: "false" },
                ratelimits,
                serviceBindings: { OUTBOUND: { network: { allow: ["public"] } } },
              },
            }),
          ],
          test: {
            ...common,
            name: "worker",
            include: ["test/**/*.test.ts", "src/**/*.test.ts"],
            exclude: [...PRIVATE_NETWORK_TESTS, "**/node_modules/**"],
            globalSetup: ["./test/outbound-trap.global.ts"],
          },
        },
        {
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml", environment: "development" },
              miniflare: { bindings: { ...bindings, ALLOW_PRIVATE_URLS: "true" }, ratelimits },
            }),
          ],
          test: {
            ...common,
            name: "private-network",
            include: PRIVATE_NETWORK_TESTS,
            globalSetup: ["./test/smtp-server.global.ts", "./test/outbound-trap.global.ts"],
          },
        },
      ],
    },
  };
});
