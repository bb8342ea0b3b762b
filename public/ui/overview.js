// @ts-check
// The overview: a card per category with its integrations and their actions.

import { confirmDelete, testConnection, toggle } from "./actions.js";
import { api } from "./api.js";
import { applyFilter, catalogFilter } from "./catalog-filter.js";
import { renderDashboard } from "./dashboard.js";
import { $, badge, fmtDate, h, logo } from "./dom.js";
import { openForm } from "./integration-form.js";
import { show } from "./nav.js";
import { connect } from "./oauth.js";
import { CARDS, cardOf, providerName, state } from "./state.js";

/** @import { Card, Integration, IntegrationPage } from "./types.js" */

/** Loads every integration of the organization (at most 20 pages of 200) into the state. */
export async function loadIntegrations() {
  /** @type {Integration[]} */
  const all = [];
  let cursor = "";
  for (let i = 0; i < 20; i++) {
    /** @type {IntegrationPage} */
    const page = await api(
      "GET",
      `/api/integrations?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    );
    all.push(...page.integrations);
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  state.integrations = all;
}

/**
 * Renders the overview: the dashboard, the catalog filter and a card per category.
 * @param {string} [focusId] the integration whose name gets focus
 */
export async function renderOverview(focusId) {
  show("overview");
  const cards = $("#cards");
  // Busy until the cards and the dashboard are the organization's current ones.
  cards.setAttribute("aria-busy", "true");
  try {
    await loadIntegrations();
    cards.before(catalogFilter());
    cards.replaceChildren(...CARDS.map(renderCard));
    applyFilter();
    await renderDashboard();
  } finally {
    cards.setAttribute("aria-busy", "false");
  }
  if (focusId) $(`[data-integration="${focusId}"] .name`)?.focus();
}

/**
 * A category's card: its integrations, Add, and Connect for its OAuth providers.
 * @param {Card} card
 */
export function renderCard(card) {
  const providers = state.providers.filter((p) => cardOf(p.category) === card);
  const items = state.integrations.filter(
    (i) => cardOf(state.byId.get(i.provider)?.category ?? i.integration_type) === card,
  );
  const oauth = providers.filter((p) => p.capabilities.oauth);
  const headingId = `card-${card.id}`;
  return h(
    "article",
    {
      class: "card",
      id: `card-${card.id}-box`,
      "aria-labelledby": headingId,
      dataset: { category: card.id },
    },
    h(
      "header",
      { class: "card-head" },
      h(
        "h3",
        { id: headingId },
        card.title,
        " ",
        h("span", { class: "count", "aria-label": `${items.length} connected` }, String(items.length)),
      ),
      h("p", { class: "muted" }, card.text),
    ),
    items.length
      ? h("ul", { class: "items" }, items.map(renderItem))
      : h("p", { class: "muted empty" }, "Nothing connected yet."),
    h(
      "div",
      { class: "card-actions" },
      h(
        "button",
        { type: "button", class: "btn primary", onclick: () => openForm({ card }) },
        `Add ${card.title}`,
      ),
      oauth.map((p) =>
        h(
          "button",
          { type: "button", class: "btn oauth", onclick: () => connect(p.id) },
          logo(p.id),
          `Connect ${p.display_name}`,
        ),
      ),
    ),
  );
}

/**
 * One integration of a card, with its state and actions.
 * @param {Integration} i
 */
export function renderItem(i) {
  const p = state.byId.get(i.provider);
  const result = h("p", { class: "result", role: "status", "aria-live": "polite" });
  return h(
    "li",
    { class: "item", dataset: { integration: i.id, provider: i.provider } },
    h(
      "div",
      { class: "item-head" },
      h("a", { class: "name", href: `#/integration/${i.id}` }, i.name),
      badge(i.status),
    ),
    h(
      "p",
      { class: "muted small" },
      p ? logo(p.id) : null,
      providerName(i.provider),
      " · last sync ",
      h("span", { class: "last-sync" }, fmtDate(i.last_sync_at)),
      " · last tested ",
      h("span", { class: "last-test" }, fmtDate(i.last_tested_at)),
    ),
    i.missing_fields?.length
      ? h("p", { class: "small warn" }, `Missing: ${i.missing_fields.join(", ")}`)
      : null,
    i.last_error
      ? h("p", { class: "small last-error" }, h("strong", {}, "Last error: "), i.last_error)
      : null,
    h(
      "div",
      { class: "item-actions" },
      h(
        "button",
        { type: "button", class: "btn small", onclick: () => openForm({ integration: i }) },
        "Edit",
      ),
      p?.capabilities.test
        ? h(
            "button",
            {
              type: "button",
              class: "btn small",
              onclick: (e) => testConnection(i, e.currentTarget, result),
            },
            "Test",
          )
        : null,
      h(
        "button",
        { type: "button", class: "btn small", "aria-pressed": String(i.is_active), onclick: () => toggle(i) },
        i.is_active ? "Deactivate" : "Activate",
      ),
      p?.capabilities.oauth
        ? h(
            "button",
            { type: "button", class: "btn small", onclick: () => connect(i.provider, i.id) },
            "Reconnect",
          )
        : null,
      h("button", { type: "button", class: "btn small danger", onclick: () => confirmDelete(i) }, "Delete"),
    ),
    result,
  );
}
