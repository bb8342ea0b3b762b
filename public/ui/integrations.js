// @ts-check
// Switchboard web UI: /integrations. Plain JS modules, no build step, no external assets; this
// is the entry the page loads. The organization API key lives in sessionStorage only; a connect
// session (?session=sbcs_…) can only start OAuth connections.

import { api, setUnauthorizedHandler } from "./api.js";
import { renderDetail } from "./detail.js";
import { $, banner } from "./dom.js";
import { renderEndpoints } from "./endpoints-view.js";
import { bindForm } from "./integration-form.js";
import { route, setViews } from "./nav.js";
import { oauthReturn, renderSession } from "./oauth.js";
import { renderOverview } from "./overview.js";
import { enter, onSignIn, signOut } from "./sign-in.js";
import { state } from "./state.js";

/** @import { ProviderCatalog } from "./types.js" */

setViews({ overview: renderOverview, detail: renderDetail, endpoints: renderEndpoints });
setUnauthorizedHandler(signOut);

async function main() {
  $("#signin-form").addEventListener("submit", onSignIn);
  $("#sign-out").addEventListener("click", () => {
    signOut();
    banner("Signed out.");
  });
  bindForm();
  for (const b of document.querySelectorAll("[data-close]"))
    b.addEventListener("click", () => b.closest("dialog")?.close());
  window.addEventListener("hashchange", () => state.key && route().catch((e) => banner(e.message, "fail")));
  try {
    const catalog = /** @type {ProviderCatalog} */ (await api("GET", "/api/integrations/providers"));
    state.providers = catalog.providers;
    state.byId = new Map(state.providers.map((p) => [p.id, p]));
  } catch (error) {
    banner(`Could not load the provider catalog: ${/** @type {Error} */ (error).message}`, "fail");
    return;
  }
  const connected = oauthReturn();
  if (state.session) {
    await renderSession();
    return;
  }
  if (state.key) await enter().then(() => connected && $(`[data-integration="${connected}"] .name`)?.focus());
  else signOut();
}

main().catch((e) => banner(e.message, "fail"));
