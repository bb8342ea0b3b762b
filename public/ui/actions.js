// @ts-check
// Actions on one integration, shared by the overview and the detail view: test, register webhooks, toggle, delete.

import { api } from "./api.js";
import { confirmDialog } from "./dialogs.js";
import { $, badge, banner, fmtDate } from "./dom.js";
import { renderOverview, rerender } from "./nav.js";
import { providerName } from "./state.js";

/** @import { Integration, RegisterResult, TestResult, WebhookCheck } from "./types.js" */

/**
 * Tests the integration's connection: the outcome in `out`, and its item's badge and last tested.
 * @param {Integration} i
 * @param {HTMLButtonElement} button
 * @param {HTMLElement} out
 */
export async function testConnection(i, button, out) {
  button.disabled = true;
  out.className = "result";
  out.textContent = "Testing…";
  try {
    /** @type {TestResult} */
    const r = await api("POST", `/api/integrations/${i.id}/test`);
    out.className = `result ${r.ok ? "ok" : "fail"}`;
    out.textContent = `${r.ok ? "✓ Connected" : "✗ Failed"}: ${r.message}${webhookNote(r.details?.webhook)}`;
    Object.assign(i, r.integration);
    const li = /** @type {HTMLElement} */ (out.closest(".item"));
    $(".badge", li).replaceWith(badge(i.status));
    $(".last-test", li).textContent = fmtDate(i.last_tested_at);
  } catch (error) {
    out.className = "result fail";
    out.textContent = `✗ ${/** @type {Error} */ (error).message}`;
  } finally {
    button.disabled = false;
  }
}

/**
 * What the provider's webhook check said, as a sentence to append.
 * @param {WebhookCheck | undefined} w
 */
function webhookNote(w) {
  if (!w) return "";
  if (w.error) return `. Webhooks: could not check (${w.error})`;
  if (w.points_here)
    return `. Webhooks point to this hub${w.subscription === "pending_confirmation" ? " (confirmation pending)" : ""}`;
  return `. Webhooks ${w.current_url ? `go to ${w.current_url}` : "are not set"}, not to this hub`;
}

/**
 * Points the provider's webhooks for this integration at the hub.
 * @param {Integration} i
 * @param {HTMLButtonElement} button
 * @param {HTMLElement} out
 */
export async function registerWebhooks(i, button, out) {
  button.disabled = true;
  out.className = "result";
  out.textContent = "Registering webhooks…";
  try {
    /** @type {RegisterResult} */
    const r = await api("POST", `/api/integrations/${i.id}/webhooks/register`);
    out.className = `result ${r.ok ? "ok" : "fail"}`;
    out.textContent = `${r.ok ? "✓ Registered" : "✗ Failed"}: ${r.message}${webhookNote(r.webhook)}`;
    Object.assign(i, r.integration);
  } catch (error) {
    out.className = "result fail";
    out.textContent = `✗ ${/** @type {Error} */ (error).message}`;
  } finally {
    button.disabled = false;
  }
}

/**
 * Switches the integration on or off.
 * @param {Integration} i
 */
export async function toggle(i) {
  try {
    await api("PATCH", `/api/integrations/${i.id}`, { is_active: !i.is_active });
    banner(`${i.name} ${i.is_active ? "deactivated" : "activated"}.`, "ok");
    await rerender(i.id);
  } catch (error) {
    banner(/** @type {Error} */ (error).message, "fail");
  }
}

/**
 * Deletes the integration once the user confirms.
 * @param {Integration} i
 */
export async function confirmDelete(i) {
  const ok = await confirmDialog(
    `Delete ${i.name}?`,
    `This deletes the ${providerName(i.provider)} integration "${i.name}" and its stored credentials. This cannot be undone.`,
    "Delete",
  );
  if (!ok) return;
  try {
    await api("DELETE", `/api/integrations/${i.id}`);
    // Back to the overview first: the banner belongs to the view it is shown on.
    if (location.hash) location.hash = "";
    banner(`${i.name} deleted.`, "ok");
    await renderOverview();
    $("#main").focus();
  } catch (error) {
    banner(/** @type {Error} */ (error).message, "fail");
  }
}
