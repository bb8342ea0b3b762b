/**
 * `npm run dev` on a fresh directory and another port than 8787: what it prints (one line for
 * the migrations, the banner and nothing of wrangler's chatter, no stack trace when offline),
 * and that the hub it starts hands out URLs on the port it really listens on.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, ROOT } from "../../scripts/lib.ts";

let dir: string;
let port: number;
let child: ChildProcess;
let output = "";

/** Resolves once `output` matches `re`; rejects if the script exits first. */
function waitFor(re: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (re.test(output)) {
        clearInterval(timer);
        resolve();
      } else if (child.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`npm run dev exited (${child.exitCode}):\n${output}`));
      }
    };
    const timer = setInterval(check, 100);
    check();
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "switchboard-dev-"));
  port = await freePort();
  child = spawn(
    process.execPath,
    [join(ROOT, "scripts/dev.ts"), "--port", String(port), "--persist-to", join(dir, "state")],
    {
      cwd: ROOT,
      env: { ...process.env, SWITCHBOARD_DEV_DIR: dir, FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    },
  );
  for (const stream of [child.stdout, child.stderr]) stream?.on("data", (d) => (output += String(d)));
  await waitFor(/Try: {2}curl/);
});

afterAll(async () => {
  if (child?.pid && child.exitCode === null) {
    const exited = new Promise((r) => child.once("exit", r));
    process.kill(-child.pid, "SIGTERM");
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal colours
const plain = () => output.replace(/\x1b\[[0-9;]*m/g, "");

describe("npm run dev", () => {
  it("prints the migrations once, then the banner: UI, docs, demo key, admin token, one example", () => {
    const text = plain();
    expect(text.match(/0000_init\.sql/g)).toHaveLength(1);
    expect(text).toMatch(/applied \d+ D1 migrations \(0000_init\.sql … \d{4}_\w+\.sql\)/);
    const base = `http://127.0.0.1:${port}`;
    const demo = JSON.parse(readFileSync(join(dir, ".dev-demo.json"), "utf8")) as { api_key: string };
    const banner = [...text.matchAll(/│ {2}(.*?) *│/g)].map((m) => m[1]).filter(Boolean);
    expect(banner).toEqual([
      `Switchboard is running on ${base}`,
      `UI:           ${base}/integrations  (sign in with the demo key)`,
      `API docs:     ${base}/docs`,
      `Demo key:     ${demo.api_key}`,
      `Admin token:  ADMIN_TOKEN in ${join(dir, ".dev.vars")}`,
      `Try:  curl -H "Authorization: Bearer ${demo.api_key}" ${base}/api/integrations`,
    ]);
    expect(readFileSync(join(dir, ".dev.vars"), "utf8")).toMatch(/^ADMIN_TOKEN=\S{32,}$/m);
  });

  it("shows no stack trace, no binding table and no request lines", () => {
    const text = plain();
    expect(text).not.toMatch(/ENOTFOUND|GetAddrInfoReqWrap|^\s+at /m);
    expect(text).not.toMatch(/Your Worker has access to the following bindings/);
    expect(text).not.toMatch(/\[wrangler:info\]/);
    expect(text).not.toMatch(/Scheduled Workers are not automatically triggered/);
  });

  it("the demo key works, and PUBLIC_URL follows the port the hub listens on", async () => {
    const demo = JSON.parse(readFileSync(join(dir, ".dev-demo.json"), "utf8")) as { api_key: string };
    const auth = { authorization: `Bearer ${demo.api_key}`, "content-type": "application/json" };
    const base = `http://127.0.0.1:${port}`;
    const created = await fetch(`${base}/api/integrations`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ provider: "telegram", name: "Port check", bot_token: "123456:ABCdef" }),
    });
    const body = (await created.json()) as { integration: { webhook_url: string } };
    expect(created.status, JSON.stringify(body)).toBe(201);
    expect(body.integration.webhook_url.startsWith(`${base}/webhooks/telegram/`)).toBe(true);
    // The cron route is on, as the README says.
    expect((await fetch(`${base}/__scheduled?cron=*+*+*+*+*`)).status).toBe(200);
  });
});
