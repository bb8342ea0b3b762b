/**
 * The local worker under test: a frozen bundle served by `wrangler dev` on a free port, with
 * throwaway state (its own D1 in a temp dir, fresh secrets), and its cleanup.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  applyLocalMigrations,
  freePort,
  newKeyRing,
  randomToken,
  sleep,
  spawnFrozenWorker,
  waitForHealth,
} from "../scripts/lib.ts";
import { say } from "./log.ts";

/** One benchmark's wrangler process and the temp dir holding its state. */
export interface LocalWorker {
  /** The throwaway state: D1, the bundle, a copy of public/, the vars file. */
  readonly state: string;
  /** The running `wrangler dev` (its own process group), once started. */
  child: ChildProcess | undefined;
  /** The last chunks wrangler printed, shown when something goes wrong. */
  readonly tail: string[];
  /** The port of wrangler's inspector proxy (the worker's isolate), once started. */
  inspectorPort?: number;
}

/** Creates the temp dir for a worker; nothing runs until `startWorker`. */
export function newLocalWorker(): LocalWorker {
  return { state: mkdtempSync(join(tmpdir(), "switchboard-bench-")), child: undefined, tail: [] };
}

/** Stops wrangler and workerd under it (the whole process group), then removes the state dir. */
export async function stopWorker(worker: LocalWorker): Promise<void> {
  const child = worker.child;
  worker.child = undefined;
  if (child?.pid) {
    const pid = child.pid;
    const exited =
      child.exitCode !== null || child.signalCode !== null
        ? Promise.resolve()
        : new Promise<void>((res) => child.once("exit", () => res()));
    // wrangler runs in its own process group (detached), with workerd under it: stop them all.
    const killGroup = (sig: NodeJS.Signals) => {
      try {
        process.kill(-pid, sig);
      } catch {
        // already gone
      }
    };
    killGroup("SIGTERM");
    const timedOut = await Promise.race([exited.then(() => false), sleep(5_000).then(() => true)]);
    await sleep(timedOut ? 0 : 200);
    killGroup("SIGKILL"); // whatever is left of the group (normally nothing)
  }
  rmSync(worker.state, { recursive: true, force: true });
}

/**
 * Applies the migrations to a fresh D1, bundles the worker once and serves that bundle with
 * `wrangler dev`; resolves when `/health` answers. `vars` replace or add to the defaults (the
 * sync benchmark's hub turns the in-process simulator off and names one in another process).
 */
export async function startWorker(
  worker: LocalWorker,
  vars: Record<string, string> = {},
): Promise<{ base: string; adminToken: string }> {
  const { state } = worker;
  const port = await freePort();
  const inspectorPort = await freePort();
  worker.inspectorPort = inspectorPort;
  const base = `http://127.0.0.1:${port}`;
  // Secrets go in a temporary env file (with --env-file, wrangler ignores the project's .dev.vars).
  const varsFile = join(state, "bench.vars");
  const all = {
    ADMIN_TOKEN: randomToken(32),
    ENCRYPTION_KEYS: newKeyRing(),
    ALLOW_PRIVATE_URLS: "true",
    // Every provider answers from the built-in simulator (the message routes use Telegram).
    SANDBOX_ENABLED: "true",
    PUBLIC_URL: base,
    ...vars,
  };
  writeFileSync(
    varsFile,
    Object.entries(all)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(""),
    { mode: 0o600 },
  );

  say(`applying migrations to a fresh local D1 in ${state}`);
  await applyLocalMigrations(["--persist-to", state], { quiet: true });

  // Benchmark a frozen build: `wrangler dev` on src/ reloads the worker whenever a file changes
  // ("Your worker restarted mid-request").
  say(`bundling the worker and starting wrangler dev on ${base}`);
  const child = await spawnFrozenWorker({ state, port, inspectorPort, varsFile });
  worker.child = child;
  const wranglerTail = worker.tail;
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => {
      wranglerTail.push(chunk);
      if (wranglerTail.length > 200) wranglerTail.splice(0, wranglerTail.length - 200);
    });
  }
  await waitForHealth(base, { child, timeoutMs: 90_000 });
  return { base, adminToken: all.ADMIN_TOKEN };
}
