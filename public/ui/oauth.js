// @ts-check
// OAuth connections: starting one (with the API key or a connect session), the callback's
// return to the page, and the connect session's view.

import { api } from "./api.js";
import { $, banner, h, logo } from "./dom.js";
import { show } from "./nav.js";
import { providerName, state } from "./state.js";

/** @import { ApiError } from "./api.js" */
/** @import { CurrentConnectSession } from "./types.js" */

/** Where the OAuth callback sends the user back to: this page (with the connect session). */
export function returnUrl() {
  const u = new URL("/integrations", location.origin);
  if (state.session) u.searchParams.set("session", state.session);
  return u.toString();
}

/**
 * Starts an OAuth connection at the provider (a new integration, or `integrationId` again).
 * @param {string} provider
 * @param {string} [integrationId]
 */
export async function connect(provider, integrationId) {
  const q = new URLSearchParams({ return_to: returnUrl() });
  if (integrationId) q.set("integration_id", integrationId);
  if (state.session) q.set("session", state.session);
  // The authorize URL as JSON, so a refusal is shown here in words, not as the API's JSON.
  q.set("format", "json");
  try {
    /** @type {{ url: string }} */
    const r = await api("GET", `/api/integrations/${encodeURIComponent(provider)}/auth?${q}`);
    location.assign(r.url);
  } catch (error) {
    banner(`${providerName(provider)}: ${/** @type {Error} */ (error).message}`, "fail");
  }
}

/** The OAuth callback's redirect lands here with success=…: say so, then clean the URL. */
export function oauthReturn() {
  const q = new URLSearchParams(location.search);
  if (!q.has("success")) return undefined;
  const name = providerName(q.get("provider") ?? "");
  if (q.get("success") === "true") banner(`${name} connected.`, "ok");
  else banner(`${name} was not connected: ${q.get("error") ?? "unknown error"}`, "fail");
  const clean = new URL(location.href);
  for (const k of ["success", "provider", "integration_id", "error"]) clean.searchParams.delete(k);
  history.replaceState(null, "", clean);
  return q.get("integration_id") ?? undefined;
}

/**
 * The connect page a host app sends its users to: the session is checked first; an unknown or
 * expired one gets a readable page and no buttons, a valid one the providers it may connect.
 */
export async function renderSession() {
  show("session-view");
  /** @type {CurrentConnectSession} */
  let session;
  try {
    session = await api("GET", `/api/connect-sessions/current?session=${encodeURIComponent(state.session)}`);
  } catch (caught) {
    const error = /** @type {ApiError} */ (caught);
    $("#session-title").textContent = "This connect link cannot be used";
    $("#session-intro").textContent =
      error.status === 401 ? error.message : `The link could not be checked: ${error.message}`;
    $("#session-providers").replaceChildren(
      h("p", { class: "muted" }, "Go back to the application and start the connection again for a new link."),
    );
    $("#session-title").focus();
    return;
  }
  const allowed = new Set(session.allowed_providers);
  const oauth = state.providers.filter((p) => p.capabilities.oauth && allowed.has(p.id));
  $("#session-providers").replaceChildren(
    ...oauth.map((p) =>
      h(
        "article",
        { class: "card" },
        h("h3", {}, logo(p.id), p.display_name),
        h("p", { class: "muted small" }, p.description),
        h(
          "div",
          { class: "card-actions" },
          h(
            "button",
            { type: "button", class: "btn oauth", onclick: () => connect(p.id) },
            `Connect ${p.display_name}`,
          ),
        ),
      ),
    ),
  );
}
