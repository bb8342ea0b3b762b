/**
 * Global setup of the client project (vitest.config.ts beside this file): the real worker in
 * workerd, started with wrangler's programmatic API on the origin of the config's
 * VITE_API_BASE_URL, on a fresh local D1 in a temporary directory with the migrations applied
 * first. The tests get its URL and an organization's API key through `inject("switchboard")`.
 * Teardown stops the worker and deletes the directory.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import type { TestProject } from "vitest/node";
import { unstable_startWorker } from "wrangler";

export interface Switchboard {
  /** The worker's origin, e.g. `http://127.0.0.1:8787`. */
  baseUrl: string;
  adminToken: string;
  orgId: string;
  /** The organization's admin API key. */
  apiKey: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    switchboard: Switchboard;
  }
}

const ROOT = resolve(import.meta.dirname, "../..");
const WRANGLER = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

/** Applies the D1 migrations to the local database under `persistTo`, without prompting. */
async function applyMigrations(persistTo: string): Promise<void> {
  // The development environment (wrangler.toml [env.development]): the entry with the simulator.
  const args = [
    WRANGLER,
    "d1",
    "migrations",
    "apply",
    "DB",
    "--local",
    "--env",
    "development",
    "--persist-to",
    persistTo,
  ];
  try {
    // This Node (not whichever `node` is first on PATH) runs wrangler and anything it spawns.
    await promisify(execFile)(process.execPath, args, {
      cwd: ROOT,
      timeout: 120_000,
      env: {
        ...process.env,
        CI: "true",
        WRANGLER_SEND_METRICS: "false",
        PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}`,
      },
    });
  } catch (e) {
    const { stdout = "", stderr = "" } = e as { stdout?: string; stderr?: string };
    throw new Error(`wrangler d1 migrations apply failed: ${String(e)}\n${stdout}\n${stderr}`);
  }
}

export default async function setup(project: TestProject) {
  const apiBaseUrl = project.config.env.VITE_API_BASE_URL;
  if (!apiBaseUrl) throw new Error("test.env.VITE_API_BASE_URL must be set (the worker's origin)");
  const { hostname, port } = new URL(apiBaseUrl);
  const dir = await mkdtemp(join(tmpdir(), "switchboard-client-"));
  let worker: Awaited<ReturnType<typeof unstable_startWorker>> | undefined;
  const teardown = async () => {
    await worker?.dispose();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const persist = join(dir, "state");
    await applyMigrations(persist);

    // An env file of its own keeps wrangler from loading the project's .dev.vars.
    const envFile = join(dir, "empty.env");
    await writeFile(envFile, "");
    const adminToken = randomBytes(24).toString("base64url");
    worker = await unstable_startWorker({
      config: join(ROOT, "wrangler.toml"),
      env: "development",
      envFiles: [envFile],
      bindings: {
        ADMIN_TOKEN: { type: "plain_text", value: adminToken },
        ENCRYPTION_KEYS: { type: "plain_text", value: `k1:${randomBytes(32).toString("base64")}` },
        ALLOW_PRIVATE_URLS: { type: "plain_text", value: "true" },
        // As in any deployment: webhook URLs (001 facebook) are built on the public origin.
        PUBLIC_URL: { type: "plain_text", value: apiBaseUrl },
      },
      dev: {
        persist,
        server: { hostname, port: Number(port) },
        inspector: false,
        watch: false,
        logLevel: "warn",
      },
    });
    await worker.ready;
    const baseUrl = (await worker.url).origin;
    if (baseUrl !== apiBaseUrl) throw new Error(`the worker is at ${baseUrl}, not at ${apiBaseUrl}`);

    const res = await fetch(`${baseUrl}/admin/organizations`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "001 client org" }),
    });
    const text = await res.text();
    if (res.status !== 201) throw new Error(`POST /admin/organizations: ${res.status} ${text}`);
    const created = JSON.parse(text) as { organization: { id: string }; api_key: string };
    project.provide("switchboard", {
      baseUrl,
      adminToken,
      orgId: created.organization.id,
      apiKey: created.api_key,
    });
  } catch (e) {
    await teardown();
    throw e;
  }
  return teardown;
}
