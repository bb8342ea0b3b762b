// @ts-check
// Switching between the views (sign-in, connect session, overview, detail) and routing on the
// URL hash. The views are registered by the entry module, so that a view can re-render another
// without the modules importing one another in a circle.

import { $ } from "./dom.js";
import { stopPolling } from "./state.js";

/** @typedef {(focusId?: string) => Promise<void>} OverviewView renders the overview, focusing an integration */
/** @typedef {(id: string) => Promise<void>} DetailView renders one integration's detail view */

/** @type {{ overview: OverviewView, detail: DetailView }} */
const views = { overview: async () => {}, detail: async () => {} };

/**
 * Registers the overview and detail renderers.
 * @param {{ overview: OverviewView, detail: DetailView }} renderers
 */
export function setViews({ overview, detail }) {
  views.overview = overview;
  views.detail = detail;
}

/**
 * Renders the overview, focusing the named integration if given.
 * @param {string} [focusId]
 */
export const renderOverview = (focusId) => views.overview(focusId);
/**
 * Renders one integration's detail view.
 * @param {string} id
 */
export const renderDetail = (id) => views.detail(id);

/**
 * Shows one view and hides the others.
 * @param {"signin" | "session-view" | "overview" | "detail"} view
 */
export function show(view) {
  for (const id of ["signin", "session-view", "overview", "detail"]) $(`#${id}`).hidden = id !== view;
}

/**
 * Renders the current view again after a change.
 * @param {string} [focusId]
 */
export async function rerender(focusId) {
  if (location.hash.startsWith("#/integration/")) await renderDetail(location.hash.split("/")[2] ?? "");
  else await renderOverview(focusId);
}

/**
 * Renders the view the URL hash names: an integration's detail, else the overview.
 * @param {string} [focusId]
 */
export async function route(focusId) {
  stopPolling();
  $("#detail").classList.remove("item");
  const m = location.hash.match(/^#\/integration\/([\w-]+)$/);
  if (m) await renderDetail(m[1] ?? "");
  else await renderOverview(focusId);
}
