/**
 * Browser test of the web UI at /integrations: starts the worker (frozen bundle, sandbox on,
 * throwaway D1), drives Chromium with playwright-core (a system Chrome or Chromium, else the one
 * npm installs: see ./browser.ts) through sign-in, forms for every category, inline validation,
 * test connection, toggle, delete with confirmation, an OAuth connection through the sandbox
 * consent page, a connect session, a QuickBooks sync to done, and a calendar's upcoming events.
 * Screenshots go to test/ui/artifacts/. Prints `N passed, N failed`; exits non-zero on a failure.
 *
 *   node_modules/.bin/node test/ui/integrations.ui.ts
 */
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { api, ROOT } from "../../scripts/lib.ts";
import { launchChromium } from "./browser.ts";
import { startWorker, type Worker } from "./worker.ts";

const ARTIFACTS = join(ROOT, "test", "ui", "artifacts");
const TOTAL_TIMEOUT_MS = Number(process.env.UI_TEST_TIMEOUT_MS ?? 8 * 60_000);
const REALM = "9341453050071234";

let worker: Worker | undefined;
let browser: Browser | undefined;
let passed = 0;
let failed = 0;
const failures: string[] = [];

async function cleanup() {
  await browser?.close().catch(() => {});
  browser = undefined;
  await worker?.stop().catch(() => {});
  worker = undefined;
}

const watchdog = setTimeout(async () => {
  console.error(`\nUI test timed out after ${TOTAL_TIMEOUT_MS / 1000} s`);
  failed++;
  await cleanup();
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(1);
}, TOTAL_TIMEOUT_MS);
for (const sig of ["SIGINT", "SIGTERM"] as const)
  process.once(sig, async () => {
    await cleanup();
    process.exit(130);
  });

async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

async function step(name: string, page: Page | undefined, fn: () => Promise<void>) {
  const started = Date.now();
  try {
    await fn();
    passed++;
    console.log(`✓ ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    failed++;
    failures.push(name);
    console.log(
      `✗ ${name}\n  ${(e instanceof Error ? (e.stack ?? e.message) : String(e)).split("\n").slice(0, 8).join("\n  ")}`,
    );
    if (page) await shot(page, `FAILED-${name.replace(/\W+/g, "-")}`).catch(() => {});
  }
}

const card = (page: Page, category: string) => page.locator(`article[data-category="${category}"]`);
const item = (page: Page, name: string) =>
  page.locator("li.item", { has: page.locator(".name", { hasText: name }) });

async function signIn(page: Page, base: string, key: string) {
  await page.goto(`${base}/integrations`);
  await page.getByLabel("Organization API key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator("#cards article").first().waitFor();
}

/**
 * After a form is saved: the dialog closes, then the list is drawn again and the saved item's
 * name takes the focus. Waiting for that focus means a next click lands on the new list, not on
 * one about to be replaced.
 */
async function afterSave(page: Page, name: string) {
  await page.locator("#form-dialog").waitFor({ state: "hidden" });
  await item(page, name).locator(".name:focus").waitFor();
}

/** Opens the category's Add form, picks the provider, fills fields by name, submits. */
async function create(
  page: Page,
  category: string,
  provider: string | undefined,
  name: string,
  fields: Record<string, string>,
) {
  await card(page, category).getByRole("button", { name: /^Add / }).click();
  const dialog = page.locator("#form-dialog");
  await dialog.waitFor({ state: "visible" });
  if (provider && (await page.locator("#f-provider").count()))
    await page.selectOption("#f-provider", provider);
  await page.fill("#f-name", name);
  for (const [k, v] of Object.entries(fields)) await page.fill(`#f-${k}`, v);
  await page.locator("#form-submit").click();
  await dialog.waitFor({ state: "hidden" });
  await item(page, name).waitFor();
}

async function main() {
  mkdirSync(ARTIFACTS, { recursive: true });
  console.log("starting the worker…");
  worker = await startWorker();
  const { base } = worker;
  const org = await api(base, "POST", "/admin/organizations", {
    token: worker.adminToken,
    body: { name: "UI Test Organization", slug: `ui-${Date.now()}` },
  });
  assert.equal(org.status, 201, org.text);
  const key: string = org.body.api_key;
  const launched = await launchChromium();
  console.log(`browser: ${launched.source}`);
  const b = launched.browser;
  browser = b;
  const desktop: BrowserContext = await b.newContext({ viewport: { width: 1280, height: 900 } });
  desktop.setDefaultTimeout(15_000);
  const page = await desktop.newPage();
  const consoleErrors: string[] = [];
  page.on("pageerror", (e) => consoleErrors.push(String(e)));

  await step("/integrations serves the page with one JS and one CSS file", page, async () => {
    const res = await fetch(`${base}/integrations`);
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, /<script type="module" src="\/ui\/integrations.js">/);
    assert.match(html, /href="\/ui\/integrations.css"/);
    assert.doesNotMatch(html, /https?:\/\//, "no external assets");
  });

  await step(
    "the page's modules are served as JavaScript, each small, with no import cycle",
    page,
    async () => {
      // Follows the entry's relative imports: every module is served under the CSP, none is over
      // 400 lines, and no module reaches itself again through its imports.
      const sources = new Map<string, string>();
      const importsOf = new Map<string, string[]>();
      const pending = ["/ui/integrations.js"];
      while (pending.length) {
        const path = pending.pop() as string;
        if (sources.has(path)) continue;
        const res = await fetch(`${base}${path}`);
        assert.equal(res.status, 200, path);
        assert.match(res.headers.get("content-type") ?? "", /javascript/, path);
        assert.match(res.headers.get("content-security-policy") ?? "", /script-src 'self'/, path);
        const text = await res.text();
        sources.set(path, text);
        assert.ok(text.split("\n").length <= 400, `${path} is over 400 lines`);
        const deps = [...text.matchAll(/^import [^;]*? from "(\.\/[\w-]+\.js)";$/gm)].map(
          (m) => new URL(m[1] ?? "", `${base}${path}`).pathname,
        );
        assert.doesNotMatch(text, /\bimport\s*\(/, `${path}: no dynamic imports`);
        importsOf.set(path, deps);
        pending.push(...deps);
      }
      assert.ok(sources.size > 1, "the UI is split into modules");
      // Every module in public/ui/ but the /docs page's own is reached from the entry.
      const files = readdirSync(join(ROOT, "public", "ui")).filter(
        (f) => f.endsWith(".js") && f !== "docs.js",
      );
      assert.deepEqual([...sources.keys()].sort(), files.map((f) => `/ui/${f}`).sort());
      const done = new Set<string>();
      const visit = (path: string, trail: string[]) => {
        assert.ok(!trail.includes(path), `import cycle: ${[...trail, path].join(" → ")}`);
        if (done.has(path)) return;
        for (const dep of importsOf.get(path) ?? []) visit(dep, [...trail, path]);
        done.add(path);
      };
      visit("/ui/integrations.js", []);
    },
  );

  await step("sign-in refuses a wrong key and accepts the organization key", page, async () => {
    await page.goto(`${base}/integrations`);
    await shot(page, "01-signin-desktop");
    await page.getByLabel("Organization API key").fill("sbk_wrong");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator("#api-key-error", { hasText: "not accepted" }).waitFor();
    await page.getByLabel("Organization API key").fill(key);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator("#cards article").first().waitFor();
    const titles = await page.locator("#cards article h3").allInnerTexts();
    for (const t of [
      "Email",
      "WhatsApp",
      "SMS",
      "Sign Up Page",
      "Facebook",
      "CRM",
      "Accounting",
      "Messaging",
      "Calendar",
      "Other",
    ])
      assert.ok(
        titles.some((x) => x.startsWith(t)),
        `card ${t} in ${titles.join(", ")}`,
      );
    // Each provider's logo beside its name (here the CRM card's Connect buttons) is loaded.
    const logo = card(page, "crm").getByRole("button", { name: "Connect HubSpot" }).locator("img.logo");
    assert.equal(await logo.getAttribute("src"), "/ui/logos/hubspot.svg");
    assert.ok(await logo.evaluate((img: HTMLImageElement) => img.decode().then(() => img.naturalWidth > 0)));
    assert.ok(!page.url().includes(key), "the key is not in the URL");
    assert.equal(await page.locator("#signin").isVisible(), false, "the sign-in form is hidden");
    assert.equal(await page.evaluate(() => sessionStorage.getItem("switchboard.api_key")), key);
    await shot(page, "02-overview-empty-desktop");
  });

  await step("validation errors are shown inline next to the fields", page, async () => {
    await card(page, "email").getByRole("button", { name: "Add Email" }).click();
    await page.selectOption("#f-provider", "sendgrid");
    // the form marks required fields
    assert.match(await page.locator('label[for="f-api_key"]').innerText(), /\*/);
    assert.equal(await page.locator("#f-api_key").getAttribute("type"), "password");
    await page.fill("#f-name", "Transactional email");
    await page.locator("#form-submit").click();
    await page.locator("#f-api_key-error", { hasText: "required" }).waitFor();
    await page.locator("#f-from_email-error", { hasText: "required" }).waitFor();
    // the server's issues: an invalid email
    await page.fill("#f-api_key", "SG.sandboxkey123.abcDEF_ghi-jkl");
    await page.fill("#f-from_email", "not-an-email");
    await page.locator("#form-submit").click();
    await page.locator("#f-from_email-error", { hasText: "email address" }).waitFor();
    assert.equal(await page.locator("#f-from_email").getAttribute("aria-invalid"), "true");
    assert.equal(await page.locator("#f-api_key-error").innerText(), "");
    await shot(page, "03-validation-error-desktop");
    await page.fill("#f-from_email", "noreply@example.com");
    await page.locator("#form-submit").click();
    await page.locator("#form-dialog").waitFor({ state: "hidden" });
    await item(page, "Transactional email").locator(".badge", { hasText: "active" }).waitFor();
  });

  await step("an integration of each category is created through the forms", page, async () => {
    await create(page, "whatsapp", "whatsapp", "WhatsApp support", {
      phone_number_id: "106540352242922",
      business_account_id: "102290129340398",
      access_token: "EAAGsystemUserToken123",
    });
    await create(page, "sms", "twilio", "Twilio SMS", {
      from_phone_number: "+15005550006",
      account_sid: `AC${"0123456789abcdef".repeat(2)}`,
      auth_token: "f00dfacecafe0123456789abcdef0123",
    });
    await create(page, "signup_page", undefined, "Landing page", {
      redirect_url: "https://example.com/thanks",
    });
    await create(page, "facebook", "facebook", "Facebook page", { access_token: "EAAGsandboxPageToken123" });
    await create(page, "crm", "hubspot", "HubSpot private app", {
      private_app_token: "pat-na1-11111111-2222-3333-4444-555555555555",
    });
    await create(page, "accounting", "quickbooks", "QuickBooks books", {
      access_token: "eyJlbmMiOiJBMTI4Q0JDLUhTMjU2In0.sandbox",
      realm_id: REALM,
    });
    await create(page, "messaging", undefined, "Telegram bot", { bot_token: "123456:ABCdef_ghi-jkl" });
    await create(page, "calendar", undefined, "Team calendar", {
      access_token: "ya29.a0AfB_sandbox-token",
      calendar_id: "primary",
    });
    await create(page, "other", undefined, "Custom API", {
      api_key: "sk_custom_123",
      api_base_url: "https://api.example.com/v1",
    });
    const list = await api(base, "GET", "/api/integrations?limit=50", { token: key });
    const custom = list.body.integrations.find((i: { provider: string }) => i.provider === "other");
    assert.equal(
      custom.api_base_url,
      "https://api.example.com/v1",
      "the form's Base URL is the integration's",
    );
    const providers = list.body.integrations.map((i: { provider: string }) => i.provider).sort();
    assert.deepEqual(providers, [
      "facebook",
      "google_calendar",
      "hubspot",
      "other",
      "quickbooks",
      "sendgrid",
      "signup_page",
      "telegram",
      "twilio",
      "whatsapp",
    ]);
    await shot(page, "04-overview-all-categories-desktop");
  });

  await step("editing shows stored secrets masked and sends them only when changed", page, async () => {
    await item(page, "Telegram bot").getByRole("button", { name: "Edit" }).click();
    assert.equal(await page.locator("#f-bot_token").inputValue(), "");
    assert.equal(await page.locator("#f-bot_token").getAttribute("placeholder"), "••••••");
    await page.fill("#f-chat_id", "12345");
    const req = page.waitForRequest((r) => r.method() === "PATCH");
    await page.locator("#form-submit").click();
    const body = JSON.parse((await req).postData() ?? "{}");
    assert.deepEqual(body, { chat_id: "12345" });
    await afterSave(page, "Telegram bot");
  });

  await step("test connection shows the provider's answer", page, async () => {
    const it = item(page, "Telegram bot");
    await it.getByRole("button", { name: "Test" }).click();
    await it.locator(".result.ok", { hasText: "Connected" }).waitFor();
    // A test is a test, not a sync: "last tested" moves, "last sync" does not.
    assert.notEqual(await it.locator(".last-test").textContent(), "—");
    assert.equal(await it.locator(".last-sync").textContent(), "—");
    // a refused credential: the result and the error badge and last error
    const cal = item(page, "Custom API");
    await cal.getByRole("button", { name: "Test" }).click();
    await cal.locator(".result.ok").waitFor();
    await shot(page, "05-test-connection-desktop");
    // a refused credential: the failure, the error badge and the last error
    await cal.getByRole("button", { name: "Edit" }).click();
    await page.fill("#f-api_key", "sk_invalid_456");
    await page.locator("#form-submit").click();
    await afterSave(page, "Custom API");
    await item(page, "Custom API").getByRole("button", { name: "Test" }).click();
    await item(page, "Custom API").locator(".result.fail", { hasText: "unauthorized" }).waitFor();
    await item(page, "Custom API").locator(".badge", { hasText: "error" }).waitFor();
    await page.reload();
    await item(page, "Custom API").locator(".last-error", { hasText: "unauthorized" }).waitFor();
    await shot(page, "05b-test-failed-desktop");
    // Switching it off and on again does not make the error go away: only a passing test does.
    await item(page, "Custom API").getByRole("button", { name: "Deactivate" }).click();
    await item(page, "Custom API").locator(".badge", { hasText: "inactive" }).waitFor();
    await item(page, "Custom API").getByRole("button", { name: "Activate" }).click();
    await item(page, "Custom API").locator(".badge", { hasText: "error" }).waitFor();
    await page.reload();
    await item(page, "Custom API").locator(".last-error", { hasText: "unauthorized" }).waitFor();
  });

  await step("deactivate and activate toggle the status badge", page, async () => {
    await item(page, "Transactional email").getByRole("button", { name: "Deactivate" }).click();
    await item(page, "Transactional email").locator(".badge", { hasText: "inactive" }).waitFor();
    const row = await api(base, "GET", "/api/integrations?provider=sendgrid", { token: key });
    assert.equal(row.body.integrations[0].is_active, false);
    await shot(page, "06-deactivated-desktop");
    await item(page, "Transactional email").getByRole("button", { name: "Activate" }).click();
    await item(page, "Transactional email")
      .locator(".badge", { hasText: /^active$/ })
      .waitFor();
  });

  await step("delete asks for confirmation (Cancel keeps, Delete removes)", page, async () => {
    const it = item(page, "WhatsApp support");
    await it.getByRole("button", { name: "Delete" }).click();
    const dialog = page.locator("#confirm-dialog");
    await dialog.waitFor({ state: "visible" });
    assert.equal(await page.evaluate<string>("document.activeElement?.id"), "confirm-cancel");
    await shot(page, "07-delete-confirm-desktop");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    assert.equal(await it.count(), 1);
    await it.getByRole("button", { name: "Delete" }).click();
    await dialog.getByRole("button", { name: "Delete" }).click();
    await it.waitFor({ state: "detached" });
    await page.locator("#banner", { hasText: "deleted" }).waitFor();
  });

  await step(
    "Connect HubSpot goes through the sandbox consent page and comes back connected",
    page,
    async () => {
      await card(page, "crm").getByRole("button", { name: "Connect HubSpot" }).click();
      await page.waitForURL(/\/sandbox\/hubspot\//);
      await shot(page, "08-oauth-consent");
      await page.getByRole("button", { name: "Approve" }).click();
      await page.waitForURL(/\/integrations/);
      await page.locator("#banner", { hasText: "HubSpot connected." }).waitFor();
      assert.doesNotMatch(page.url(), /success=/, "the URL is cleaned");
      await item(page, "HubSpot").first().waitFor();
      const crm = await card(page, "crm").locator("li.item").count();
      assert.equal(crm, 2);
      const hub = card(page, "crm").locator("li.item", {
        has: page.locator(".name", { hasText: /^HubSpot$/ }),
      });
      await hub.locator(".badge", { hasText: /^active$/ }).waitFor();
      await shot(page, "09-oauth-connected-desktop");
    },
  );

  await step("detail view: webhook URL and verify token with copy buttons, logs tab", page, async () => {
    await item(page, "Facebook page").locator(".name").click();
    await page.locator("#detail-title", { hasText: "Facebook page" }).waitFor();
    assert.match(await page.locator("#d-webhook-url").inputValue(), /^http:\/\/127\.0\.0\.1:\d+\/webhook/);
    assert.ok((await page.locator("#d-verify-token").inputValue()).length >= 8);
    await page.getByRole("button", { name: "Copy Webhook URL" }).waitFor();
    await page.getByRole("tab", { name: "Logs" }).waitFor();
    await page.locator("#tabpanel tbody tr").first().waitFor();
    await page.getByRole("tab", { name: "Logs" }).focus();
    await page.keyboard.press("ArrowRight");
    assert.equal(
      await page.getByRole("tab", { name: "Webhook events" }).getAttribute("aria-selected"),
      "true",
    );
    await page.locator("#tabpanel", { hasText: /No webhook events yet|Received/ }).waitFor();
    await page.getByRole("tab", { name: "Messages" }).click();
    await page.locator("#tabpanel", { hasText: /No messages yet|Channel/ }).waitFor();
    await page.getByRole("tab", { name: "Logs" }).click();
    await page.locator("#tabpanel tbody tr").first().waitFor();
    await shot(page, "10-detail-facebook-desktop");
  });

  await step(
    "webhook events tab: the payload opens in place, and Replay processes it again",
    page,
    async () => {
      const secret = "ui-webhook-secret_0123";
      const made = await api(base, "POST", "/api/integrations", {
        token: key,
        body: {
          provider: "telegram",
          name: "Webhook bot",
          bot_token: "654321:XYZabc",
          webhook_secret: secret,
        },
      });
      assert.equal(made.status, 201, made.text);
      const bot = made.body.integration;
      const posted = await fetch(bot.webhook_url, {
        method: "POST",
        headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": secret },
        body: JSON.stringify({
          update_id: 4711,
          message: {
            message_id: 1,
            chat: { id: 42, type: "private" },
            date: 1_700_000_000,
            text: "hello hub",
          },
        }),
      });
      assert.equal(posted.status, 200);
      const processed = async () => {
        for (let n = 0; n < 150; n++) {
          const r = await api(base, "GET", `/api/integrations/${bot.id}/webhook-events`, { token: key });
          if (r.body.events?.[0]?.status === "processed") return;
          await new Promise((res) => setTimeout(res, 100));
        }
        throw new Error("the webhook was not processed");
      };
      await processed();
      await page.goto(`${base}/integrations#/integration/${bot.id}`);
      await page.getByRole("tab", { name: "Webhook events" }).click();
      const row = page.locator("#tabpanel tbody tr").first();
      await row.waitFor();
      await row.locator(".badge", { hasText: "processed" }).waitFor();
      await row.locator("summary", { hasText: "View" }).click();
      assert.match((await row.locator(".payload pre").textContent()) ?? "", /"update_id": 4711/);
      await row.getByRole("button", { name: /^Replay / }).click();
      await page.locator("#banner", { hasText: "queued for processing again" }).waitFor();
      await processed();
      await shot(page, "11-webhook-events-desktop");
    },
  );

  await step("sign-up page detail shows the embed code", page, async () => {
    await page.goto(`${base}/integrations`);
    await item(page, "Landing page").locator(".name").click();
    await page.locator("#detail-title", { hasText: "Landing page" }).waitFor();
    assert.match(
      await page.locator("#d-embed").inputValue(),
      /<form[^>]+action="http:\/\/127\.0\.0\.1:\d+\/signup\//,
    );
    assert.match(await page.locator("#d-signup-url").inputValue(), /\/signup\//);
    await shot(page, "11-detail-signup-desktop");
  });

  await step("QuickBooks: Sync now on customers runs the progress bar to done", page, async () => {
    const sized = await api(base, "POST", "/sandbox/_data/quickbooks/customers", {
      body: { account: REALM, count: 3000 },
    });
    assert.ok(sized.status < 300, sized.text);
    await page.goto(`${base}/integrations`);
    await item(page, "QuickBooks books").locator(".name").click();
    await page.getByRole("tab", { name: "Sync" }).click();
    const entity = page.locator('li.entity[data-entity="customers"]');
    await entity.waitFor();
    await entity.getByRole("button", { name: "Sync customers now" }).click();
    await page
      .locator(
        'li.entity[data-entity="customers"]:is([data-state="queued"],[data-state="running"],[data-state="success"])',
      )
      .waitFor();
    await page.waitForTimeout(1500);
    await shot(page, "12-sync-running-desktop");
    await page
      .locator('li.entity[data-entity="customers"][data-state="success"]')
      .waitFor({ timeout: 180_000 });
    assert.equal(await entity.locator("progress").getAttribute("value"), "100");
    assert.match(await entity.locator(".entity-count").innerText(), /3000 records/);
    assert.notEqual(await page.locator("#d-last-sync").innerText(), "—");
    await page.locator("#tabpanel tbody tr", { hasText: "customers" }).first().waitFor();
    await shot(page, "13-sync-done-desktop");
  });

  await step("records tab: search, paging by cursor and the provider's item", page, async () => {
    await page.goto(`${base}/integrations`);
    await item(page, "QuickBooks books").locator(".name").click();
    await page.getByRole("tab", { name: "Records" }).click();
    const range = page.locator("#tabpanel .records-range");
    await range.filter({ hasText: "Customers records 1–25" }).waitFor();
    assert.equal(await page.locator("#tabpanel tbody tr").count(), 25);
    await page.getByRole("button", { name: "Next" }).click();
    await range.filter({ hasText: "Customers records 26–50" }).waitFor();
    await page.getByRole("button", { name: "Previous" }).click();
    await range.filter({ hasText: "Customers records 1–25" }).waitFor();
    assert.equal(await page.getByRole("button", { name: "Previous" }).isDisabled(), true);
    // Search by a value of one record (its email, nested in its data), by keyboard.
    const summary = (await page.locator("#tabpanel tbody tr").nth(1).textContent()) ?? "";
    const email = summary.match(/[\w.]+@example\.com/)?.[0] ?? "";
    assert.ok(email, summary);
    await page.getByLabel("Search records").fill(email.toUpperCase());
    await page.keyboard.press("Enter");
    await range.filter({ hasText: `Customers records 1–1 matching “${email.toUpperCase()}”` }).waitFor();
    const row = page.locator("#tabpanel tbody tr", { hasText: email }).first();
    await row.locator("summary", { hasText: "View" }).click();
    await row.locator(".payload pre", { hasText: '"raw"' }).waitFor();
    assert.match((await row.locator(".payload pre").textContent()) ?? "", /"Id": "/);
    await shot(page, "14-records-desktop");
  });

  await step("a late answer for one integration's tab never shows in another's", page, async () => {
    // QuickBooks' records are held until the Facebook page's detail is shown.
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route(/\/records\/customers\?/, async (route) => {
      await held;
      await route.continue();
    });
    try {
      await page.goto(`${base}/integrations`);
      await item(page, "QuickBooks books").locator(".name").click();
      await page.getByRole("tab", { name: "Logs" }).waitFor();
      const answered = page.waitForResponse(/\/records\/customers\?/);
      await page.getByRole("tab", { name: "Records" }).click();
      const lateTab = await page.locator("#tabpanel").elementHandle();
      await page.getByRole("link", { name: "← All integrations" }).click();
      await item(page, "Facebook page").locator(".name").click();
      await page.locator("#detail-title", { hasText: "Facebook page" }).waitFor();
      await page.locator('#tabpanel[aria-busy="false"]').waitFor();
      release();
      await answered;
      // The answer was drawn, into the panel it was asked for, which is no longer on the page.
      await page.waitForFunction((el) => el?.textContent?.includes("Customers records"), lateTab);
      assert.equal(await lateTab?.evaluate((el) => el.isConnected), false);
      assert.doesNotMatch((await page.locator("#tabpanel").textContent()) ?? "", /Customers records/);
      assert.equal(await page.locator("#detail-title").textContent(), "Facebook page");
    } finally {
      release();
      await page.unroute(/\/records\/customers\?/);
    }
  });

  await step("leads tab: a sign-up page's leads, searched and exported as CSV", page, async () => {
    const pages = await api(base, "GET", "/api/integrations?provider=signup_page", { token: key });
    const landing = pages.body.integrations.find((x: { name: string }) => x.name === "Landing page");
    for (const [email, name] of [
      ["ada@example.com", "Ada Lovelace"],
      ["grace@example.com", "Grace Hopper"],
    ]) {
      const r = await api(base, "POST", `/signup/${landing.id}`, { body: { email, name } });
      assert.equal(r.status, 201, r.text);
    }
    await page.goto(`${base}/integrations#/integration/${landing.id}`);
    await page.getByRole("tab", { name: "Leads" }).click();
    await page.locator("#tabpanel tbody tr", { hasText: "Grace Hopper" }).waitFor();
    assert.equal(await page.locator("#tabpanel tbody tr").count(), 2);
    await page.getByLabel("Search leads").fill("ada@");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await page.locator("#tabpanel .records-range", { hasText: "matching “ada@”" }).waitFor();
    assert.equal(await page.locator("#tabpanel tbody tr").count(), 1);
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Export CSV" }).click(),
    ]);
    assert.equal(download.suggestedFilename(), "Landing_page-leads.csv");
    const csv = readFileSync((await download.path()) as string, "utf8");
    const [header, ...rows] = csv.trimEnd().split("\r\n");
    assert.match(header ?? "", /^id,external_id,created_at,updated_at,.*\bemail\b/);
    assert.equal(rows.length, 1);
    assert.match(rows[0] ?? "", /ada@example\.com/);
    await page.locator("#banner", { hasText: "Leads exported" }).waitFor();
    await shot(page, "15-leads-desktop");
    // A banner belongs to the view it was shown on: going elsewhere hides it.
    await page.getByRole("link", { name: "← All integrations" }).click();
    await page.locator("#overview").waitFor();
    await page.locator("#banner").waitFor({ state: "hidden" });
  });

  await step("messages tab: each message's status timeline opens in place", page, async () => {
    const bots = await api(base, "GET", "/api/integrations?provider=telegram", { token: key });
    const bot = bots.body.integrations.find((x: { name: string }) => x.name === "Webhook bot");
    const sent = await api(base, "POST", "/api/messages", {
      token: key,
      body: { integration_id: bot.id, to: "100200300", text: "timeline" },
    });
    assert.equal(sent.status, 202, sent.text);
    for (let n = 0; n < 150; n++) {
      const m = await api(base, "GET", `/api/messages/${sent.body.message.id}`, { token: key });
      if (m.body.message.status === "sent") break;
      await new Promise((res) => setTimeout(res, 100));
    }
    await page.goto(`${base}/integrations#/integration/${bot.id}`);
    await page.getByRole("tab", { name: "Messages" }).click();
    const row = page.locator("#tabpanel tbody tr", { hasText: "100200300" }).first();
    await row.locator(".badge", { hasText: "sent" }).waitFor();
    await row.locator("summary", { hasText: "View" }).click();
    await row.locator("ol.steps li", { hasText: "Sent to the provider" }).waitFor();
    assert.deepEqual(await row.locator("ol.steps li strong").allInnerTexts(), [
      "Accepted",
      "Sent to the provider",
    ]);
    await shot(page, "16-message-timeline-desktop");
  });

  await step("event endpoints: deliveries with every attempt, and Redeliver", page, async () => {
    const made = await api(base, "POST", "/api/event-endpoints", {
      token: key,
      body: { url: `${base}/sandbox/_receiver/ui-${Date.now()}`, description: "UI test" },
    });
    assert.equal(made.status, 201, made.text);
    const id = made.body.endpoint.id;
    await page.goto(`${base}/integrations`);
    await page.getByRole("link", { name: "Event endpoints" }).click();
    await page.locator("#endpoints-title:focus").waitFor();
    await page.getByRole("link", { name: made.body.endpoint.url }).click();
    /** Waits until the newest delivery has succeeded after `attempts` attempts. */
    const delivered = async (attempts: number) => {
      for (let n = 0; n < 150; n++) {
        const d = await api(base, "GET", `/api/event-endpoints/${id}/deliveries`, { token: key });
        const last = d.body.deliveries[0];
        if (last?.status === "succeeded" && last.attempts === attempts) return;
        await new Promise((res) => setTimeout(res, 100));
      }
      throw new Error(`the delivery did not succeed after ${attempts} attempt(s)`);
    };
    await page.getByRole("button", { name: "Send test event" }).click();
    await page.locator("#banner", { hasText: "Test event sent" }).waitFor();
    await delivered(1);
    await page.reload();
    const row = page.locator("#deliveries tbody tr", { hasText: "event.test" }).first();
    await row.locator(".badge", { hasText: "succeeded" }).waitFor();
    await row.locator("summary", { hasText: "View" }).click();
    await row.locator("ol.steps li", { hasText: "attempt 1: HTTP 200" }).waitFor();
    await row.getByRole("button", { name: /^Redeliver / }).click();
    await page.locator("#banner", { hasText: "queued for delivery again" }).waitFor();
    await delivered(2);
    await shot(page, "17-event-deliveries-desktop");
  });

  await step("the catalog: search by provider or integration name, and a category filter", page, async () => {
    await page.goto(`${base}/integrations#/`);
    await page.reload();
    await page.locator('#cards[aria-busy="false"] article').first().waitFor();
    const search = page.getByLabel("Search", { exact: true });
    const category = page.getByLabel("Category", { exact: true });
    /** Waits until exactly these categories' cards are shown. */
    const shows = (want: string[]) =>
      page.waitForFunction(
        (w) =>
          JSON.stringify(
            Array.from(document.querySelectorAll("#cards article:not([hidden])"), (e) =>
              e.getAttribute("data-category"),
            ),
          ) === w,
        JSON.stringify(want),
      );
    await search.fill("hubspot");
    await shows(["crm"]);
    await page.locator("#catalog-status", { hasText: "1 of 10 categories shown" }).waitFor();
    // An integration's own name finds its card too.
    await search.fill("Team calendar");
    await shows(["calendar"]);
    await search.fill("no such thing");
    await shows([]);
    await page.locator("#catalog-status", { hasText: "Nothing matches." }).waitFor();
    await search.fill("");
    await category.selectOption("accounting");
    await shows(["accounting"]);
    await category.selectOption("");
    await shows([
      "email",
      "whatsapp",
      "sms",
      "signup_page",
      "facebook",
      "crm",
      "accounting",
      "messaging",
      "calendar",
      "other",
    ]);
  });

  await step(
    "the dashboard: health, messages and webhooks a day as charts, recent sync runs",
    page,
    async () => {
      const bots = await api(base, "GET", "/api/integrations?provider=telegram", { token: key });
      const bot = bots.body.integrations[0];
      for (const text of ["first", "second"]) {
        const sent = await api(base, "POST", "/api/messages", {
          token: key,
          body: { integration_id: bot.id, to: "100200300", text },
        });
        assert.equal(sent.status, 202, sent.text);
      }
      await page.goto(`${base}/integrations#/`);
      await page.reload();
      const messages = page.locator("#chart-messages");
      await messages.waitFor();
      assert.equal(await messages.locator("g.bar").count(), 7);
      const today = Number(await messages.locator("g.bar").last().getAttribute("data-total"));
      assert.ok(today >= 2, `today's bar counts the messages (${today})`);
      assert.match((await messages.locator("figcaption").textContent()) ?? "", /Messages — \d+ in 7 days/);
      assert.equal(await page.locator("#chart-webhooks g.bar").count(), 7);
      // The numbers are in a table too, for screen readers.
      assert.equal(await messages.locator("table tr").count(), 8);
      // Health: the failing integration is named with its reason; the sync run is listed with its records.
      await page.locator(".health .failing li", { hasText: "Custom API" }).waitFor();
      const run = page.locator(".runs tr", { hasText: "customers" }).first();
      await run.waitFor();
      assert.match((await run.textContent()) ?? "", /success/);
      assert.match((await run.textContent()) ?? "", /3000/);
      // Delivery by channel: the telegram messages just sent, with a real delivery rate.
      const telegram = page.locator('#delivery tr[data-channel="telegram"]');
      await telegram.waitFor();
      assert.match((await telegram.textContent()) ?? "", /telegram/);
      await shot(page, "00-dashboard-desktop");
    },
  );

  await step(
    "Google Calendar: the Upcoming events tab lists the synced events, soonest first",
    page,
    async () => {
      const calendarId = `ui-${Date.now()}@group.calendar.google.com`;
      const created = await api(base, "POST", "/api/integrations", {
        token: key,
        body: {
          provider: "google_calendar",
          name: "Bookings calendar",
          access_token: "ya29.ui",
          calendar_id: calendarId,
        },
      });
      assert.equal(created.status, 201, created.text);
      const at = (day: string, hour: string) => ({ dateTime: `${day}T${hour}:00:00Z`, timeZone: "UTC" });
      const seeded = await api(
        base,
        "POST",
        `/sandbox/google_calendar/_control/calendars/${calendarId}/events`,
        {
          body: {
            events: [
              {
                id: "uilater01",
                summary: "Follow-up",
                start: at("2031-03-02", "10"),
                end: at("2031-03-02", "11"),
              },
              {
                id: "uisoon001",
                summary: "Consultation",
                location: "Room 2",
                start: at("2031-03-01", "09"),
                end: at("2031-03-01", "10"),
                attendees: [{ email: "client@example.com", displayName: "Client" }],
              },
              {
                id: "uipast001",
                summary: "Long ago",
                start: at("2020-01-01", "09"),
                end: at("2020-01-01", "10"),
              },
            ],
          },
        },
      );
      assert.ok(seeded.status < 300, seeded.text);
      const id = created.body.integration.id as string;
      const started = await api(base, "POST", `/api/integrations/${id}/sync/events`, { token: key });
      assert.ok(started.status < 300, started.text);
      for (let i = 0; i < 150; i++) {
        const job = await api(base, "GET", `/api/integrations/${id}/sync-jobs/${started.body.job.id}`, {
          token: key,
        });
        if (job.body.job.status === "success") break;
        await new Promise((res) => setTimeout(res, 200));
      }
      await page.goto(`${base}/integrations`);
      await item(page, "Bookings calendar").locator(".name").click();
      await page.getByRole("tab", { name: "Upcoming events" }).click();
      await page.locator("#tabpanel tbody tr", { hasText: "Consultation" }).waitFor();
      const rows = await page.locator("#tabpanel tbody tr").allTextContents();
      assert.equal(rows.length, 2, rows.join(" | "));
      assert.match(rows[0] ?? "", /Consultation.*Room 2.*Client/);
      assert.match(rows[1] ?? "", /Follow-up/);
      assert.match(await page.locator("#watch-state").innerText(), /Not watching/);
      await shot(page, "14-calendar-events-desktop");
    },
  );

  await step("a connect session shows OAuth connect buttons and connects without a key", page, async () => {
    const cs = await api(base, "POST", "/api/connect-sessions", {
      token: key,
      body: { allowed_providers: ["xero", "google_calendar"] },
    });
    assert.equal(cs.status, 201, cs.text);
    const ctx = await b.newContext({ viewport: { width: 1280, height: 900 } });
    ctx.setDefaultTimeout(15_000);
    const p2 = await ctx.newPage();
    try {
      await p2.goto(`${base}/integrations?session=${cs.body.token}`);
      await p2.getByRole("button", { name: "Connect Xero" }).waitFor();
      await shot(p2, "14-connect-session-desktop");
      // Only the session's providers are offered.
      const offered = await p2.locator("#session-providers button").allTextContents();
      assert.deepEqual(offered.sort(), ["Connect Google Calendar", "Connect Xero"]);
      await p2.getByRole("button", { name: "Connect Xero" }).click();
      await p2.waitForURL(/\/sandbox\/xero\//);
      await p2.getByRole("button", { name: "Approve" }).click();
      await p2.locator("#banner", { hasText: "Xero connected." }).waitFor();
      const list = await api(base, "GET", "/api/integrations?provider=xero", { token: key });
      assert.equal(list.body.integrations.length, 1);
      assert.equal(await p2.evaluate(() => sessionStorage.getItem("switchboard.api_key")), null);
    } finally {
      await ctx.close();
    }
  });

  await step(
    "a connect link that is unknown or expired gets a readable page and no buttons",
    page,
    async () => {
      const ctx = await b.newContext({ viewport: { width: 1280, height: 900 } });
      ctx.setDefaultTimeout(15_000);
      const p3 = await ctx.newPage();
      try {
        await p3.goto(`${base}/integrations?session=sbcs_not-a-real-session`);
        await p3.getByRole("heading", { name: "This connect link cannot be used" }).waitFor();
        assert.equal(await p3.locator("#session-intro").textContent(), "Invalid connect session token");
        assert.equal(await p3.locator("#session-providers button").count(), 0);
        assert.equal(await p3.locator("#signin").isVisible(), false);
        const expired = await api(base, "POST", "/api/connect-sessions", { token: key, body: {} });
        await worker?.d1(`UPDATE connect_sessions SET expires_at = 0 WHERE id = '${expired.body.id}'`);
        await p3.goto(`${base}/integrations?session=${expired.body.token}`);
        await p3.locator("#session-intro", { hasText: "has expired" }).waitFor();
        assert.equal(await p3.locator("#session-providers button").count(), 0);
        await shot(p3, "15-connect-session-expired");
      } finally {
        await ctx.close();
      }
    },
  );

  await step(
    "the connect page by keyboard at 390 px: providers fit, Tab and Enter start the flow",
    page,
    async () => {
      const cs = await api(base, "POST", "/api/connect-sessions", {
        token: key,
        body: { allowed_providers: ["hubspot"] },
      });
      const ctx = await b.newContext({
        viewport: { width: 390, height: 844 },
        isMobile: true,
        hasTouch: true,
      });
      ctx.setDefaultTimeout(15_000);
      const p4 = await ctx.newPage();
      try {
        await p4.goto(`${base}/integrations?session=${cs.body.token}`);
        const button = p4.getByRole("button", { name: "Connect HubSpot" });
        await button.waitFor();
        const width = await p4.evaluate<number>("document.documentElement.scrollWidth");
        assert.ok(width <= 390, `no horizontal scroll (scrollWidth ${width})`);
        await shot(p4, "16-connect-session-phone");
        for (let i = 0; i < 20 && !(await button.evaluate((el) => el === document.activeElement)); i++)
          await p4.keyboard.press("Tab");
        assert.ok(
          await button.evaluate((el) => el === document.activeElement),
          "the button takes focus by Tab",
        );
        await p4.keyboard.press("Enter");
        await p4.waitForURL(/\/sandbox\/hubspot\//);
      } finally {
        await ctx.close();
      }
    },
  );

  await step("keyboard: the form dialog closes on Escape and focus returns to its opener", page, async () => {
    await page.goto(`${base}/integrations`);
    const add = card(page, "sms").getByRole("button", { name: "Add SMS" });
    await add.focus();
    await page.keyboard.press("Enter");
    await page.locator("#form-dialog").waitFor({ state: "visible" });
    assert.equal(await page.evaluate<string>('document.activeElement?.closest("dialog")?.id'), "form-dialog");
    await page.keyboard.press("Escape");
    await page.locator("#form-dialog").waitFor({ state: "hidden" });
    assert.equal(await page.evaluate<string>("document.activeElement?.textContent"), "Add SMS");
  });

  const phone = await b.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  });
  phone.setDefaultTimeout(15_000);
  const mobile = await phone.newPage();
  await step("phone viewport: overview, form and detail fit the screen", mobile, async () => {
    await signIn(mobile, base, key);
    const width = await mobile.evaluate<number>("document.documentElement.scrollWidth");
    assert.ok(width <= 390, `no horizontal scroll (scrollWidth ${width})`);
    assert.equal(await mobile.locator("#signin").isVisible(), false);
    await mobile.screenshot({ path: join(ARTIFACTS, "20-overview-phone.png") });
    await shot(mobile, "20-overview-phone-full");
    await card(mobile, "email").getByRole("button", { name: "Add Email" }).click();
    await mobile.locator("#form-dialog").waitFor({ state: "visible" });
    await mobile.screenshot({ path: join(ARTIFACTS, "21-form-phone.png") });
    await mobile.keyboard.press("Escape");
    await item(mobile, "QuickBooks books").locator(".name").click();
    await mobile.getByRole("tab", { name: "Sync" }).click();
    await mobile.locator('li.entity[data-entity="customers"][data-state="success"]').waitFor();
    const w2 = await mobile.evaluate<number>("document.documentElement.scrollWidth");
    assert.ok(w2 <= 390, `detail has no horizontal scroll (scrollWidth ${w2})`);
    await shot(mobile, "22-detail-sync-phone");
    await mobile.getByRole("tab", { name: "Records" }).click();
    await mobile.locator("#tabpanel .records-range").waitFor();
    const w3 = await mobile.evaluate<number>("document.documentElement.scrollWidth");
    assert.ok(w3 <= 390, `the record browser has no horizontal scroll (scrollWidth ${w3})`);
    await shot(mobile, "23-records-phone");
    await mobile.goto(`${base}/integrations#/events`);
    await mobile.locator("#deliveries tbody tr").first().waitFor();
    const w4 = await mobile.evaluate<number>("document.documentElement.scrollWidth");
    assert.ok(w4 <= 390, `the event endpoints view has no horizontal scroll (scrollWidth ${w4})`);
  });

  await step(
    "accessibility: axe-core finds nothing serious or critical, at 1280 px and 390 px",
    page,
    async () => {
      const axe = readFileSync(join(ROOT, "node_modules", "axe-core", "axe.min.js"), "utf8");
      const cs = await api(base, "POST", "/api/connect-sessions", { token: key, body: {} });
      const found: string[] = [];
      for (const width of [1280, 390]) {
        // The scanner is injected as a script of its own: the page's CSP (script-src 'self') is bypassed for it alone.
        const ctx = await b.newContext({ viewport: { width, height: 900 }, bypassCSP: true });
        ctx.setDefaultTimeout(15_000);
        const p5 = await ctx.newPage();
        const scan = async (where: string) => {
          await p5.addScriptTag({ content: axe });
          const result = (await p5.evaluate("axe.run(document, { resultTypes: ['violations'] })")) as {
            violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[];
          };
          for (const v of result.violations)
            if (v.impact === "serious" || v.impact === "critical")
              found.push(
                `${width}px ${where}: ${v.id} (${v.impact}) ${v.help}: ${v.nodes
                  .map((n) => n.target.join(" "))
                  .slice(0, 3)
                  .join(", ")}`,
              );
        };
        try {
          await p5.goto(`${base}/integrations`);
          await p5.getByLabel("Organization API key").waitFor();
          await scan("sign-in");
          await p5.getByLabel("Organization API key").fill(key);
          await p5.getByRole("button", { name: "Sign in" }).click();
          await p5.locator("#chart-messages").waitFor();
          await scan("dashboard and catalog");
          await card(p5, "email").getByRole("button", { name: "Add Email" }).click();
          await p5.locator("#form-dialog").waitFor({ state: "visible" });
          await scan("create form");
          await p5.keyboard.press("Escape");
          await item(p5, "QuickBooks books").locator(".name").click();
          await p5.getByRole("tab", { name: "Sync" }).waitFor();
          await scan("integration detail");
          await p5.getByRole("tab", { name: "Records" }).click();
          await p5.locator("#tabpanel .records-range").waitFor();
          await scan("record browser");
          await p5.goto(`${base}/integrations#/events`);
          await p5.locator("#deliveries tbody tr").first().waitFor();
          await scan("event endpoints");
          await p5.goto(`${base}/integrations?session=${cs.body.token}`);
          await p5.locator("#session-providers button").first().waitFor();
          await scan("connect page");
        } finally {
          await ctx.close();
        }
      }
      assert.deepEqual(found, []);
    },
  );

  await step(
    "/docs renders Scalar's reference of /openapi.json, with example requests, from the hub alone",
    page,
    async () => {
      const p6 = await desktop.newPage();
      const errors: string[] = [];
      const offsite: string[] = [];
      p6.on("console", (m) => {
        if (m.type() === "error" || /Content Security Policy/i.test(m.text())) errors.push(m.text());
      });
      p6.on("pageerror", (e) => errors.push(String(e)));
      p6.on("request", (r) => {
        if (!r.url().startsWith(`${base}/`)) offsite.push(r.url());
      });
      await p6.addInitScript(() => {
        document.addEventListener("securitypolicyviolation", (e) =>
          console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`),
        );
      });
      try {
        const res = await p6.goto(`${base}/docs#tag/messages/POST/api/messages`);
        assert.match(res?.headers()["content-security-policy"] ?? "", /script-src 'self';/);
        await p6.getByRole("heading", { name: "Send a message (queued; answers 202)" }).waitFor();
        // The example request: curl with the SendMessage schema's example body.
        const example = p6.locator("pre", { hasText: "curl" }).filter({ hasText: "+14155550123" }).first();
        await example.waitFor();
        assert.match(
          (await example.textContent()) ?? "",
          /curl \S+\/api\/messages[\s\S]*--request POST[\s\S]*"to": "\+14155550123"/,
        );
        // The introduction explains the Bearer keys.
        await p6.getByText("organization API key as a Bearer token", { exact: false }).first().waitFor();
        await p6.waitForLoadState("networkidle");
        await p6.screenshot({ path: join(ARTIFACTS, "30-api-reference-desktop.png") });
        assert.deepEqual(errors, [], "no console errors or CSP violations");
        assert.deepEqual(offsite, [], "every request goes to the hub");
      } finally {
        await p6.close();
      }
    },
  );

  await step("no script errors in the page", page, async () => {
    assert.deepEqual(consoleErrors, []);
  });
}

try {
  await main();
} catch (e) {
  failed++;
  console.error(`✗ setup: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
} finally {
  await cleanup();
  clearTimeout(watchdog);
}
if (failures.length) console.log(`failed: ${failures.join("; ")}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
