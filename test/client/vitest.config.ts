/**
 * The client project: the 001 guide's React component, in Node with jsdom, against the real
 * worker in workerd (started by global-setup.ts). Run it with
 * `vitest run -c test/client/vitest.config.ts` from the project root.
 */
import { resolve } from "node:path";
import { defineConfig } from "vitest/config";
import { freePort } from "../../scripts/lib.ts";

export default defineConfig(async () => ({
  root: resolve(import.meta.dirname, "../.."),
  // The guide's component is plain .jsx: vite transforms it, React's automatic runtime.
  oxc: { jsx: { runtime: "automatic" as const } },
  test: {
    name: "client",
    include: ["test/client/**/*.test.tsx"],
    environment: "jsdom",
    // The page is a frontend on another origin than the API, as in the guide: jsdom's XHR (which
    // axios uses here) enforces CORS, preflights included.
    environmentOptions: { jsdom: { url: "http://localhost:5173/" } },
    // The component's API_BASE_URL; global-setup.ts starts the worker on this origin.
    env: { VITE_API_BASE_URL: `http://127.0.0.1:${await freePort()}` },
    globalSetup: ["test/client/global-setup.ts"],
    // Requests go to a real workerd (started once, in global setup).
    testTimeout: 30_000,
    silent: "passed-only" as const,
  },
}));
