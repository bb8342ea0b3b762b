/**
 * Helpers shared by the dev script, the walkthrough and the benchmark: random secrets,
 * `.dev.vars` parsing, running wrangler with this Node, waiting for /health, and small HTTP
 * helpers. Dependency-free (node: builtins and global fetch only).
 */
import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";

/**
 * The wrangler environment local runs use (`npm run dev`, the UI and client tests, the
 * benchmark): its entry, src/dev.ts, mounts the provider simulator; its D1 and queues are its own.
 */
export const DEV_ENV = "development";

/** The file `wrangler deploy --dry-run --env development --outdir <dir>` writes (named after src/dev.ts). */
export const DEV_BUNDLE = "dev.js";

/** The project root (the directory holding wrangler.toml). */
export const ROOT = resolve(import.meta.dirname, "..");
/**
 * Wrangler's CLI proper. Its `bin/wrangler.js` only re-spawns this file (turning SIGINT into
 * SIGTERM on the way), so we run it directly: one process fewer and signals arrive as sent.
 */
const WRANGLER_CLI = join(ROOT, "node_modules", "wrangler", "wrangler-dist", "cli.js");
const WRANGLER_BIN = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

/** `n` random bytes as base64url, no padding (an ADMIN_TOKEN). */
export const randomToken = (n = 32): string => randomBytes(n).toString("base64url");

/** A fresh one-key vault ring for `ENCRYPTION_KEYS`: `k1:<base64 of 32 random bytes>`. */
export const newKeyRing = (id = "k1"): string => `${id}:${randomBytes(32).toString("base64")}`;

/** Parses dotenv-style text (`KEY=value`, `# comments`, optional quotes). */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const m = raw.match(/^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/);
    if (!m?.[1]) continue;
    let value = m[2] ?? "";
    const q = value[0];
    if ((q === '"' || q === "'") && value.endsWith(q) && value.length >= 2) value = value.slice(1, -1);
    else value = value.replace(/\s+#.*$/, "");
    out[m[1]] = value;
  }
  return out;
}

export function readDotenv(path: string): Record<string, string> {
  return existsSync(path) ? parseDotenv(readFileSync(path, "utf8")) : {};
}

/**
 * Spawns wrangler with the Node running this script (the system `node` may be too old for
 * wrangler), from the project root, with that Node first on PATH for anything wrangler runs.
 */
/** Variables added to this process's environment for a child (the rest is inherited). */
export type ExtraEnv = Record<string, string | undefined>;

export function spawnWrangler(
  args: string[],
  opts: Omit<SpawnOptions, "env"> & { env?: ExtraEnv } = {},
): ChildProcess {
  const env = {
    ...process.env,
    PATH: `${dirname(process.execPath)}${process.platform === "win32" ? ";" : ":"}${process.env.PATH ?? ""}`,
    WRANGLER_SEND_METRICS: "false",
    ...opts.env,
  };
  const entry = existsSync(WRANGLER_CLI) ? ["--no-warnings", WRANGLER_CLI] : [WRANGLER_BIN];
  return spawn(process.execPath, [...entry, ...args], { cwd: ROOT, stdio: "inherit", ...opts, env });
}

/** Resolves with the exit code of a child (signals count as 128 + number, like a shell). */
export function exitCode(child: ChildProcess): Promise<number> {
  return new Promise((res) => {
    if (child.exitCode !== null) return res(child.exitCode);
    child.once("exit", (code, signal) => res(code ?? (signal ? 128 + signalNumber(signal) : 1)));
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  return ({ SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal] ?? 1;
}

/**
 * Runs wrangler to completion; rejects with a readable error when it fails. With `quiet`, its
 * output is kept, shown only in that error, and answered.
 */
export async function runWrangler(
  args: string[],
  { env, quiet = false }: { env?: ExtraEnv; quiet?: boolean } = {},
): Promise<string> {
  const child = spawnWrangler(args, { env, stdio: quiet ? ["ignore", "pipe", "pipe"] : "inherit" });
  let output = "";
  child.stdout?.on("data", (d) => (output += d));
  child.stderr?.on("data", (d) => (output += d));
  const code = await exitCode(child);
  if (code !== 0)
    throw new Error(`wrangler ${args.join(" ")} exited with code ${code}${quiet ? `\n${output}` : ""}`);
  return output;
}

/** The development environment's D1 bindings (wrangler.toml): DB and its shard (src/db/shards.ts). */
export const DEV_DATABASES = ["DB", "DB_SHARD_1"] as const;

/**
 * Applies the D1 migrations to each local database without prompting (the same to every one).
 * Answers the names of the migrations that were applied (to any of them), in order.
 */
export async function applyLocalMigrations(
  extraArgs: string[] = [],
  { quiet = false } = {},
): Promise<string[]> {
  const applied = new Set<string>();
  for (const binding of DEV_DATABASES) {
    const output = await runWrangler(
      ["d1", "migrations", "apply", binding, "--local", "--env", DEV_ENV, ...extraArgs],
      { env: { CI: "true" }, quiet },
    );
    for (const m of output.matchAll(/\b(\d{4}_[\w-]+\.sql)\b/g)) applied.add(m[1] as string);
  }
  return [...applied].sort();
}

/**
 * Polls `GET <base>/health` until it answers 200. Gives up after `timeoutMs`, or at once when
 * `child` (the wrangler process) exits first.
 */
export async function waitForHealth(
  base: string,
  { timeoutMs = 60_000, child }: { timeoutMs?: number; child?: ChildProcess } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null)
      throw new Error(`wrangler exited (code ${child.exitCode}) before /health answered`);
    try {
      const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(5_000) });
      const text = await res.text();
      if (res.status === 200) return;
      last = `HTTP ${res.status} ${text.slice(0, 300)}`;
    } catch (e) {
      last = e instanceof Error ? ((e.cause as Error | undefined)?.message ?? e.message) : String(e);
    }
    await sleep(500);
  }
  throw new Error(
    `${base}/health did not answer 200 within ${Math.round(timeoutMs / 1000)} s (last: ${last})`,
  );
}

export const sleep = (ms: number) => new Promise<void>((res) => setTimeout(res, ms));

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? res(addr.port) : rej(new Error("no port"))));
    });
  });
}

/** The value of `--name value` or `--name=value` in a raw argv list, if present. */
export function flagValue(argv: string[], name: string): string | undefined {
  for (const [i, a] of argv.entries()) {
    if (a === name) return argv[i + 1];
    if (a.startsWith(`${name}=`)) return a.slice(name.length + 1);
  }
  return undefined;
}

export interface ApiResponse {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: JSON from the API, read loosely by scripts
  body: any;
  text: string;
}

/** One JSON request; never throws on HTTP errors (check `status`), only on network errors. */
export async function api(
  base: string,
  method: string,
  path: string,
  { token, body, timeoutMs = 30_000 }: { token?: string; body?: unknown; timeoutMs?: number } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed, text };
}

/** A network error's useful message (`fetch failed` hides the cause). */
export function errorMessage(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = e.cause as { code?: string; message?: string } | undefined;
  return cause?.message ? `${e.message}: ${cause.code ?? cause.message}` : e.message;
}

/** Where a frozen local worker lives: its state directory and the files written into it. */
export interface FrozenWorkerOptions {
  /** A throwaway directory: the bundle, a copy of public/ and the local D1 go inside it. */
  state: string;
  port: number;
  inspectorPort: number;
  /** The env file with the worker's secrets (wrangler then ignores the project's .dev.vars). */
  varsFile: string;
}

/**
 * Bundles the development entry once (`wrangler deploy --dry-run`), copies public/ beside it and
 * starts `wrangler dev` on that frozen bundle with config watching off, so edits to src/ never
 * restart the worker under a benchmark or a browser test. The caller waits for /health.
 */
export async function spawnFrozenWorker(o: FrozenWorkerOptions): Promise<ChildProcess> {
  const dist = join(o.state, "dist");
  const assets = join(o.state, "assets");
  await runWrangler(["deploy", "--dry-run", "--env", DEV_ENV, "--outdir", dist], { quiet: true });
  cpSync(join(ROOT, "public"), assets, { recursive: true });
  // biome-ignore format: one flag and its value a line
  const args = [
    "dev", join(dist, DEV_BUNDLE), "--no-bundle",
    "--config", join(ROOT, "wrangler.toml"),
    "--env", DEV_ENV,
    "--assets", assets,
    "--ip", "127.0.0.1",
    "--port", String(o.port),
    "--inspector-port", String(o.inspectorPort),
    "--persist-to", o.state,
    "--env-file", o.varsFile,
    "--show-interactive-dev-session=false",
    "--log-level", "warn",
  ];
  return spawnWrangler(args, {
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
    env: { WRANGLER_CI_DISABLE_CONFIG_WATCHING: "true" },
  });
}
