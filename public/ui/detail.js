// @ts-check
// One integration's detail view: facts, actions, URLs to copy, and the tabs (logs, webhook
// events, messages, leads, sync, records, a calendar's upcoming events, and the accounts a
// connection reaches, such as Facebook Pages).

import { renderAccounts } from "./accounts-tab.js";
import { confirmDelete, registerWebhooks, testConnection, toggle } from "./actions.js";
import { api } from "./api.js";
import { $, badge, copy, copyRow, fmtDate, h, logo, table } from "./dom.js";
import { renderEvents } from "./events-tab.js";
import { openForm } from "./integration-form.js";
import { renderMessages } from "./messages-tab.js";
import { show } from "./nav.js";
import { renderRecords } from "./records-tab.js";
import { providerName, state, stopPolling } from "./state.js";
import { renderSync } from "./sync-tab.js";
import { renderWebhooks } from "./webhooks-tab.js";

/** @import { Integration, IntegrationLog, Provider } from "./types.js" */
/**
 * @typedef {{ id: string, label: string | ((p: Provider) => string | undefined),
 *   when?: (p: Provider | undefined) => unknown }} Tab
 */

/** The tabs, each shown only for a provider that can do what it shows. @type {Tab[]} */
export const TABS = [
  { id: "logs", label: "Logs" },
  { id: "webhooks", label: "Webhook events", when: (p) => p?.capabilities.webhooks },
  { id: "messages", label: "Messages", when: (p) => p?.capabilities.send?.length },
  { id: "leads", label: "Leads", when: (p) => p?.capabilities.leads },
  { id: "sync", label: "Sync", when: (p) => p?.capabilities.sync?.length },
  { id: "records", label: "Records", when: (p) => p?.capabilities.sync?.length },
  { id: "events", label: "Upcoming events", when: (p) => p?.capabilities.calendar },
  { id: "accounts", label: (p) => p.capabilities.accounts, when: (p) => p?.capabilities.accounts },
];

/** @param {Tab} t @param {Provider | undefined} p */
const tabLabel = (t, p) => (typeof t.label === "function" ? p && t.label(p) : t.label) ?? t.id;

/** @param {string} id the integration's id */
export async function renderDetail(id) {
  stopPolling();
  show("detail");
  const sec = $("#detail");
  /** @type {Integration} */
  let i;
  try {
    i = (await api("GET", `/api/integrations/${id}`)).integration;
  } catch (e) {
    const error = /** @type {Error} */ (e);
    sec.replaceChildren(
      h("p", { class: "error" }, error.message),
      h("a", { href: "#" }, "Back to integrations"),
    );
    return;
  }
  const p = state.byId.get(i.provider);
  const tabs = TABS.filter((t) => !t.when || t.when(p));
  if (!tabs.some((t) => t.id === state.detailTab)) state.detailTab = "logs";
  const panel = h("div", { class: "tabpanel", role: "tabpanel", id: "tabpanel", tabindex: "0" });
  const tablist = h(
    "div",
    { class: "tabs", role: "tablist", "aria-label": "Integration details", onkeydown: tabKeys },
    tabs.map((t) =>
      h(
        "button",
        {
          type: "button",
          role: "tab",
          id: `tab-${t.id}`,
          "aria-controls": "tabpanel",
          "aria-selected": String(t.id === state.detailTab),
          tabindex: t.id === state.detailTab ? "0" : "-1",
          onclick: () => selectTab(i, t.id),
        },
        tabLabel(t, p),
      ),
    ),
  );
  const info = [];
  if (i.webhook_url) info.push(copyRow("Webhook URL", i.webhook_url, "d-webhook-url"));
  if (i.webhook_verify_token)
    info.push(copyRow("Webhook verify token", i.webhook_verify_token, "d-verify-token"));
  if (i.signup_url) info.push(copyRow("Sign-up URL", i.signup_url, "d-signup-url"));
  if (i.embed_html)
    info.push(
      h(
        "div",
        { class: "field" },
        h("label", { for: "d-embed" }, "Embed code"),
        h("textarea", { id: "d-embed", class: "mono", rows: 6, readOnly: true }, i.embed_html),
        h(
          "div",
          {},
          h(
            "button",
            { type: "button", class: "btn", onclick: (e) => copy(i.embed_html ?? "", e.currentTarget) },
            "Copy embed code",
          ),
        ),
      ),
    );
  const result = h("p", { class: "result", role: "status", "aria-live": "polite" });
  sec.replaceChildren(
    h("p", {}, h("a", { href: "#", class: "back" }, "← All integrations")),
    h(
      "div",
      { class: "detail-head" },
      h("h2", { id: "detail-title", tabindex: "-1" }, i.name),
      badge(i.status),
    ),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Provider"),
      h("dd", { class: "with-logo" }, logo(i.provider), providerName(i.provider)),
      h("dt", {}, "Active"),
      h("dd", {}, i.is_active ? "yes" : "no"),
      h("dt", {}, "Last sync"),
      h("dd", { id: "d-last-sync" }, fmtDate(i.last_sync_at)),
      h("dt", {}, "Last tested"),
      h("dd", { id: "d-last-test" }, fmtDate(i.last_tested_at)),
      h("dt", {}, "Last error"),
      h("dd", { class: "last-error" }, i.last_error ?? "—"),
      i.missing_fields?.length ? [h("dt", {}, "Missing"), h("dd", {}, i.missing_fields.join(", "))] : null,
    ),
    h(
      "div",
      { class: "item-actions" },
      h("button", { type: "button", class: "btn", onclick: () => openForm({ integration: i }) }, "Edit"),
      p?.capabilities.test
        ? h(
            "button",
            { type: "button", class: "btn", onclick: (e) => testConnection(i, e.currentTarget, result) },
            "Test",
          )
        : null,
      p?.capabilities.webhook_setup === "register"
        ? h(
            "button",
            { type: "button", class: "btn", onclick: (e) => registerWebhooks(i, e.currentTarget, result) },
            "Register webhooks",
          )
        : null,
      h(
        "button",
        { type: "button", class: "btn", onclick: () => toggle(i) },
        i.is_active ? "Deactivate" : "Activate",
      ),
      h("button", { type: "button", class: "btn danger", onclick: () => confirmDelete(i) }, "Delete"),
    ),
    result,
    ...(info.length ? [h("div", { class: "panel info" }, info)] : []),
    tablist,
    panel,
  );
  // testConnection updates the badge in the closest .item
  sec.classList.add("item");
  $("#detail-title").focus();
  await loadTab(i, state.detailTab);
}

/** Arrow keys, Home and End move between the tabs. @param {KeyboardEvent} e */
export function tabKeys(e) {
  const list = /** @type {HTMLElement} */ (e.currentTarget);
  const tabs = [.../** @type {NodeListOf<HTMLElement>} */ (list.querySelectorAll('[role="tab"]'))];
  const at = tabs.indexOf(/** @type {HTMLElement} */ (document.activeElement));
  if (at < 0) return;
  let next = -1;
  if (e.key === "ArrowRight") next = (at + 1) % tabs.length;
  else if (e.key === "ArrowLeft") next = (at - 1 + tabs.length) % tabs.length;
  else if (e.key === "Home") next = 0;
  else if (e.key === "End") next = tabs.length - 1;
  if (next < 0) return;
  e.preventDefault();
  tabs[next].focus();
  tabs[next].click();
}

/** @param {Integration} i @param {string} id */
export async function selectTab(i, id) {
  state.detailTab = id;
  for (const t of document.querySelectorAll('#detail [role="tab"]')) {
    const on = t.id === `tab-${id}`;
    t.setAttribute("aria-selected", String(on));
    t.setAttribute("tabindex", on ? "0" : "-1");
  }
  await loadTab(i, id);
}

/**
 * Shows tab `id` of integration `i` in a new panel: whatever an earlier tab (or an earlier
 * integration's) still loading writes then goes to its own panel, which is no longer on the page.
 * @param {Integration} i
 * @param {string} id
 */
export async function loadTab(i, id) {
  stopPolling();
  const old = $("#tabpanel");
  const panel = h("div", {
    class: "tabpanel",
    role: "tabpanel",
    id: "tabpanel",
    tabindex: "0",
    "aria-labelledby": `tab-${id}`,
    "aria-busy": "true",
  });
  old.replaceWith(panel);
  panel.append(h("p", { class: "muted" }, "Loading…"));
  const p = state.byId.get(i.provider);
  try {
    if (id === "logs") {
      const r = await api("GET", `/api/integrations/${i.id}/logs`);
      panel.replaceChildren(
        table(
          "Logs",
          [
            ["Time", (/** @type {IntegrationLog} */ l) => fmtDate(l.created_at)],
            [
              "Level",
              (/** @type {IntegrationLog} */ l) => h("span", { class: `level level-${l.level}` }, l.level),
            ],
            ["Action", (/** @type {IntegrationLog} */ l) => l.action],
            ["Message", (/** @type {IntegrationLog} */ l) => l.message],
          ],
          r.logs,
        ),
      );
    } else if (id === "webhooks") await renderWebhooks(i, panel);
    else if (id === "messages") await renderMessages(i, panel);
    else if (id === "sync") await renderSync(i, panel);
    else if (id === "records") await renderRecords(i, panel, { entities: p?.capabilities.sync ?? [] });
    else if (id === "leads") await renderRecords(i, panel, { entities: ["contacts"], leads: true });
    else if (id === "events") await renderEvents(i, panel);
    else if (id === "accounts") await renderAccounts(i, panel, p?.capabilities.accounts ?? "Accounts");
  } catch (error) {
    panel.replaceChildren(h("p", { class: "error" }, /** @type {Error} */ (error).message));
  } finally {
    panel.setAttribute("aria-busy", "false");
  }
}
