// @ts-check
// Search and a category filter over the catalog's cards: a card stays when its category is the
// one chosen (or any) and the words match one of its providers (name, id, description) or one
// of its integrations (name). A live region says how many categories are shown.

import { $, h } from "./dom.js";
import { CARDS, cardOf, state } from "./state.js";

/** @param {string} text */
const norm = (text) => text.toLowerCase().normalize("NFKD");

/**
 * Whether a card matches the words.
 * @param {{ id: string }} card
 * @param {string} words
 */
function matches(card, words) {
  if (!words) return true;
  const haystack = [
    ...state.providers
      .filter((/** @type {any} */ p) => cardOf(p.category) === card)
      .flatMap((/** @type {any} */ p) => [p.display_name, p.id, p.description ?? ""]),
    ...state.integrations
      .filter(
        (/** @type {any} */ i) => cardOf(state.byId.get(i.provider)?.category ?? i.integration_type) === card,
      )
      .map((/** @type {any} */ i) => i.name),
  ]
    .map(norm)
    .join("\n");
  return norm(words)
    .split(/\s+/)
    .filter(Boolean)
    .every((w) => haystack.includes(w));
}

/** Shows the cards that match the search box and the category chosen. */
export function applyFilter() {
  const words = /** @type {HTMLInputElement} */ ($("#catalog-search")).value.trim();
  const category = /** @type {HTMLSelectElement} */ ($("#catalog-category")).value;
  let shown = 0;
  for (const card of CARDS) {
    const el = document.getElementById(`card-${card.id}-box`);
    if (!el) continue;
    const visible = (!category || category === card.id) && matches(card, words);
    el.hidden = !visible;
    if (visible) shown++;
  }
  $("#catalog-status").textContent =
    shown === CARDS.length ? "" : shown ? `${shown} of ${CARDS.length} categories shown` : "Nothing matches.";
}

/** The search box and category select above the cards (once; they keep their values across renders). */
export function catalogFilter() {
  const existing = document.getElementById("catalog-filter");
  if (existing) return existing;
  return h(
    "div",
    { id: "catalog-filter", class: "catalog-filter", role: "search" },
    h("label", { for: "catalog-search" }, "Search"),
    h("input", {
      id: "catalog-search",
      type: "search",
      placeholder: "Provider or integration, e.g. hubspot",
      oninput: applyFilter,
    }),
    h("label", { for: "catalog-category" }, "Category"),
    h(
      "select",
      { id: "catalog-category", onchange: applyFilter },
      h("option", { value: "" }, "All categories"),
      CARDS.map((c) => h("option", { value: c.id }, c.title)),
    ),
    h("p", { id: "catalog-status", class: "muted small", role: "status", "aria-live": "polite" }),
  );
}
