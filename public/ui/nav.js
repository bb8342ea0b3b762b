// @ts-check
// Switching between the views (sign-in, connect session, overview, detail) and routing on the
// URL hash. The views are registered by the entry module, so that a view can re-render another
// without the modules importing one another in a circle.

import { $, clearStaleBanner } from "./dom.js";
import { stopPolling } from "./state.js";

/** @typedef {(focusId?: string) => Promise<void>} OverviewView renders the overview, focusing an integration */
/** @typedef {(id: string) => Promise<void>} DetailView renders one integration's detail view */
/** @typedef {(endpointId?: string) => Promise<void>} EndpointsView renders the event endpoints, one chosen */

/** @type {{ overview: OverviewView, detail: DetailView, endpoints: EndpointsView }} */
const views = { overview: async () => {}, detail: async () => {}, endpoints: async () => {} };

/**
 * Registers the overview, detail and event endpoints renderers.
 * @param {{ overview: OverviewView, detail: DetailView, endpoints: EndpointsView }} renderers
 */
export function setViews({ overview, detail, endpoints }) {
  views.overview = overview;
  views.detail = detail;
  views.endpoints = endpoints;
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
 * @param {"signin" | "session-view" | "overview" | "detail" | "endpoints"} view
 */
export function show(view) {
  for (const id of ["signin", "session-view", "overview", "detail", "endpoints"])
    $(`#${id}`).hidden = id !== view;
}

/**
 * Renders the current view again after a change.
 * @param {string} [focusId]
 */
export async function rerender(focusId) {
  if (location.hash.startsWith("#/integration/")) await renderDetail(location.hash.split("/")[2] ?? "");
  else if (location.hash.startsWith("#/events")) await views.endpoints(location.hash.split("/")[2]);
  else await renderOverview(focusId);
}

/**
 * Renders the view the URL hash names: an integration's detail, else the overview.
 * @param {string} [focusId]
 */
export async function route(focusId) {
  stopPolling();
  clearStaleBanner();
  $("#detail").classList.remove("item");
  const m = location.hash.match(/^#\/integration\/([\w-]+)$/);
  const events = location.hash.match(/^#\/events(?:\/([\w-]+))?$/);
  if (m) await renderDetail(m[1] ?? "");
  else if (events) await views.endpoints(events[1]);
  else await renderOverview(focusId);
}
