/**
 * `npm run walkthrough -- --url <base> --key <api key> [--org <id>] [--yes]`
 *
 * Walks an organization's integrations through their life cycle with the 001 RPC dialect:
 * list, create, read back, update, activate, and (after asking) delete. Prints every request
 * and response. The API key is never printed in full.
 */
import { createInterface } from "node:readline/promises";
import { parseArgs } from "node:util";
import { api, errorMessage } from "./lib.ts";

const USAGE = `Usage: npm run walkthrough -- --url <base> --key <api key> [--org <id>] [--yes]

Walks through the 001 integration API against a running Switchboard:
  1. list the organization's integrations    GET  /organization-integrations?org_id=
  2. create a custom ("other") integration   POST /create-organization-integration
  3. read it back                            GET  /organization-integration/{id}
  4. update its name and config              POST /update-organization-integration
  5. activate it                             POST /toggle-organization-integration
  6. delete it, after asking                 POST /delete-organization-integration

Options:
  --url <base>   the hub's base URL, e.g. http://127.0.0.1:8787 (env SWITCHBOARD_URL)
  --key <key>    an admin API key of the organization, sbk_... (env SWITCHBOARD_API_KEY)
  --org <id>     the organization id (default: found from the API)
  --yes, -y      delete at the end without asking
  --help, -h     show this help

With \`npm run dev\`, the demo organization's key is in .dev-demo.json.`;

let opts: { url?: string; key?: string; org?: string; yes?: boolean; help?: boolean };
try {
  opts = parseArgs({
    options: {
      url: { type: "string" },
      key: { type: "string" },
      org: { type: "string" },
      yes: { type: "boolean", short: "y" },
      help: { type: "boolean", short: "h" },
    },
  }).values;
} catch (e) {
  console.error(`${errorMessage(e)}\n\n${USAGE}`);
  process.exit(2);
}
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}
const base = (opts.url ?? process.env.SWITCHBOARD_URL ?? "").replace(/\/+$/, "");
const key = opts.key ?? process.env.SWITCHBOARD_API_KEY ?? "";
if (!base || !key) {
  console.error(`Missing ${!base ? "--url" : "--key"}.\n\n${USAGE}`);
  process.exit(2);
}
const shownKey = `sbk_…${key.slice(-4)}`;

const bold = (s: string) => `\x1b[1m${s}\x1b[0m`;
const dim = (s: string) => `\x1b[2m${s}\x1b[0m`;
const green = (s: string) => `\x1b[32m${s}\x1b[0m`;
const red = (s: string) => `\x1b[31m${s}\x1b[0m`;

/** Pretty JSON, with the API key replaced wherever it might appear. */
const show = (v: unknown) =>
  (typeof v === "string" ? v : JSON.stringify(v, null, 2)).split(key).join(shownKey);

class StepFailed extends Error {}

let stepNo = 0;
/** One request of the walkthrough: prints it and its answer; throws StepFailed unless 2xx. */
// biome-ignore lint/suspicious/noExplicitAny: JSON from the API, read loosely
async function step(title: string, method: string, path: string, body?: unknown): Promise<any> {
  stepNo++;
  console.log(`\n${bold(`Step ${stepNo}: ${title}`)}`);
  console.log(`${method} ${base}${path}`);
  console.log(dim(`Authorization: Bearer ${shownKey}`));
  if (body !== undefined) console.log(show(body));
  let res: Awaited<ReturnType<typeof api>>;
  try {
    res = await api(base, method, path, { token: key, body });
  } catch (e) {
    throw new StepFailed(`Step ${stepNo} (${title}): could not reach ${base}: ${errorMessage(e)}`);
  }
  const ok = res.status >= 200 && res.status < 300;
  console.log(`${ok ? green(`→ ${res.status}`) : red(`→ ${res.status}`)}\n${show(res.body)}`);
  if (!ok) {
    const reason = typeof res.body === "object" && res.body?.error ? res.body.error : res.text.slice(0, 200);
    throw new StepFailed(`Step ${stepNo} (${title}) failed: HTTP ${res.status}: ${reason}`);
  }
  return res.body;
}

async function confirmDelete(): Promise<boolean> {
  if (opts.yes) {
    console.log("\nDelete the integration? [y/N] y (--yes)");
    return true;
  }
  if (!process.stdin.isTTY) {
    console.log("\nNo terminal to ask on and no --yes: keeping the integration.");
    return false;
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question("\nDelete the integration? [y/N] ");
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

async function main() {
  console.log(`Switchboard walkthrough against ${base} with key ${shownKey}`);
  let orgId = opts.org;
  if (!orgId) {
    // The REST list names the organization of any integration it returns.
    const probe = await api(base, "GET", "/api/integrations?limit=1", { token: key }).catch((e) => {
      throw new StepFailed(`could not reach ${base}: ${errorMessage(e)}`);
    });
    if (probe.status === 401)
      throw new StepFailed(`the API key ${shownKey} was refused (401): ${show(probe.body)}`);
    orgId = probe.body?.integrations?.[0]?.org_id;
    console.log(
      dim(orgId ? `(organization ${orgId}, from GET /api/integrations)` : "(organization not known yet)"),
    );
  }

  const q = orgId ? `?org_id=${encodeURIComponent(orgId)}` : "";
  const listed = await step("List the organization's integrations", "GET", `/organization-integrations${q}`);
  console.log(dim(`(${listed?.integrations?.length ?? 0} integrations)`));

  const created = await step("Create an integration", "POST", "/create-organization-integration", {
    ...(orgId ? { org_id: orgId } : {}),
    integration_type: "other",
    name: `Walkthrough ${new Date().toISOString()}`,
    api_key: "walkthrough-key",
    api_base_url: "https://api.example.com",
    config: { note: "created by walkthrough" },
    is_active: false,
  });
  const id: string | undefined = created?.integration?.id;
  if (!id) throw new StepFailed("Step 2: the response has no integration.id");
  orgId ??= created.integration.org_id;

  await step("Read it back", "GET", `/organization-integration/${encodeURIComponent(id)}`);
  await step("Update its name and config", "POST", "/update-organization-integration", {
    id,
    name: `Walkthrough ${new Date().toISOString()} (updated)`,
    config: { note: "updated by walkthrough", updated: true },
  });
  await step("Activate it", "POST", "/toggle-organization-integration", { id, active: true });

  if (await confirmDelete()) {
    await step("Delete it", "POST", "/delete-organization-integration", { id });
    console.log(green("\nDone: the integration was created, updated, activated and deleted."));
  } else {
    console.log(`\nDone. Kept integration ${id}${orgId ? ` in organization ${orgId}` : ""}.`);
  }
}

main().catch((e) => {
  console.error(`\n${red(e instanceof StepFailed ? e.message : `walkthrough failed: ${errorMessage(e)}`)}`);
  process.exitCode = 1;
});
