/**
 * Starts the worker for the browser tests as the benchmark does (spawnFrozenWorker in scripts/lib.ts): a frozen bundle
 * (`wrangler deploy --dry-run`) served by `wrangler dev` on a free port, with a copy of public/,
 * a throwaway local D1, fresh secrets and the sandbox on. `stop()` ends the whole process group.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  applyLocalMigrations,
  DEV_ENV,
  exitCode,
  freePort,
  newKeyRing,
  randomToken,
  runWrangler,
  sleep,
  spawnFrozenWorker,
  waitForHealth,
} from "../../scripts/lib.ts";

export interface Worker {
  base: string;
  adminToken: string;
  tail: () => string;
  /** Runs SQL on the worker's local D1 (`wrangler d1 execute`): a state no API makes, such as an expired session. */
  d1: (sql: string) => Promise<void>;
  stop: () => Promise<void>;
}

/** The port picked for wrangler was taken by another process before wrangler bound it. */
class PortTaken extends Error {}

/**
 * Starts the worker. A free port is picked before wrangler starts (PUBLIC_URL names it), so
 * another process may take it in between: then it starts again on other ports, rather than the
 * run depending on that luck.
 */
export async function startWorker(): Promise<Worker> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce();
    } catch (e) {
      if (!(e instanceof PortTaken) || attempt === 3) throw e;
    }
  }
}

async function startOnce(): Promise<Worker> {
  const state = mkdtempSync(join(tmpdir(), "switchboard-ui-"));
  const port = await freePort();
  const inspectorPort = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const vars = {
    ADMIN_TOKEN: randomToken(32),
    ENCRYPTION_KEYS: newKeyRing(),
    ALLOW_PRIVATE_URLS: "true",
    SANDBOX_ENABLED: "true",
    PUBLIC_URL: base,
  };
  const varsFile = join(state, "ui.vars");
  writeFileSync(
    varsFile,
    Object.entries(vars)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(""),
    { mode: 0o600 },
  );
  let child: ChildProcess | undefined;
  const tailChunks: string[] = [];
  const stop = async () => {
    if (child && child.exitCode === null && child.pid) {
      const pid = child.pid;
      const exited = exitCode(child);
      const kill = (sig: NodeJS.Signals) => {
        try {
          process.kill(-pid, sig);
        } catch {
          // already gone
        }
      };
      kill("SIGTERM");
      const timedOut = await Promise.race([exited.then(() => false), sleep(5_000).then(() => true)]);
      await sleep(timedOut ? 0 : 200);
      kill("SIGKILL");
    }
    rmSync(state, { recursive: true, force: true });
  };
  try {
    await applyLocalMigrations(["--persist-to", state], { quiet: true });
    const started = await spawnFrozenWorker({ state, port, inspectorPort, varsFile });
    child = started;
    for (const stream of [started.stdout, started.stderr]) {
      stream?.setEncoding("utf8");
      stream?.on("data", (chunk: string) => {
        tailChunks.push(chunk);
        if (tailChunks.length > 200) tailChunks.splice(0, tailChunks.length - 200);
      });
    }
    await waitForHealth(base, { child, timeoutMs: 90_000 });
  } catch (e) {
    await stop();
    const output = tailChunks.join("");
    const Failure = /EADDRINUSE|address already in use/i.test(output) ? PortTaken : Error;
    throw new Failure(
      `${e instanceof Error ? e.message : e}\n--- wrangler output ---\n${output.slice(-4000)}`,
    );
  }
  const d1 = async (sql: string) => {
    await runWrangler(
      ["d1", "execute", "DB", "--local", "--env", DEV_ENV, "--persist-to", state, "--command", sql],
      { quiet: true },
    );
  };
  return { base, adminToken: vars.ADMIN_TOKEN, tail: () => tailChunks.join(""), d1, stop };
}
