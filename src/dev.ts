/**
 * The development entry (`npm run dev`, the tests, the benchmark: wrangler `--env development`):
 * the production hub plus the provider simulator. With SANDBOX_ENABLED the simulator answers at
 * /sandbox/* and every provider call made under `settings.sandboxBase` is answered by it
 * in-process; without it /sandbox/* is a 404 like any unknown path.
 */
import { createApp } from "./app.ts";
import { ApiError, ErrorCode, onError } from "./errors.ts";
import { createSandboxApp } from "./sandbox/index.ts";
import { installLocalService } from "./services/index.ts";
import { createWorker } from "./worker.ts";

const app = createApp({
  mount: (hub) => {
    const sandbox = createSandboxApp((req, env, ctx) => hub.fetch(req, env, ctx));
    hub.all("/sandbox/*", (c) => {
      if (!c.get("services").settings.SANDBOX_ENABLED) {
        return onError(new ApiError(ErrorCode.NOT_FOUND, `No route for ${c.req.method} ${c.req.path}`), c);
      }
      const url = new URL(c.req.url);
      url.pathname = url.pathname.slice("/sandbox".length) || "/";
      return sandbox.fetch(new Request(url, c.req.raw), c.env, c.executionCtx);
    });
  },
});

// Provider calls reach the simulator without leaving the isolate (its state is per isolate).
let simulator: ReturnType<typeof createSandboxApp> | undefined;
installLocalService((env, settings) => {
  const base = settings.sandboxBase;
  if (!base) return undefined;
  return {
    base,
    fetch: (req) => {
      simulator ??= createSandboxApp();
      const url = new URL(req.url);
      url.pathname = url.pathname.slice(new URL(base).pathname.length);
      return Promise.resolve(simulator.fetch(new Request(url, req), env));
    },
  };
});

export default createWorker(app);

// The production entry's Durable Object classes, which this entry must export too.
export { RateBudgets } from "./services/pacing/rate-budgets.ts";
