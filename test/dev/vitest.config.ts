/**
 * The dev-script project: `npm run dev` as a new user meets it, in Node, on a port and in a
 * directory of its own (`SWITCHBOARD_DEV_DIR`, `--persist-to`), so your own `.dev.vars`, demo
 * key and local database are not touched. Run it with `vitest run -c test/dev/vitest.config.ts`.
 */
import { resolve } from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: resolve(import.meta.dirname, "../.."),
  test: {
    name: "dev",
    include: ["test/dev/**/*.spec.ts"],
    environment: "node",
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
