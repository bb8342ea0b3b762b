// Actions on one integration, shared by the overview and the detail view: test, register webhooks, toggle, delete.

import { api } from "./api.js";
import { confirmDialog } from "./dialogs.js";
import { $, badge, banner, fmtDate } from "./dom.js";
import { renderOverview, rerender } from "./nav.js";
import { providerName } from "./state.js";

export async function testConnection(i, button, out) {
  button.disabled = true;
  out.className = "result";
  out.textContent = "Testing…";
  try {
    const r = await api("POST", `/api/integrations/${i.id}/test`);
    out.className = `result ${r.ok ? "ok" : "fail"}`;
    out.textContent = `${r.ok ? "✓ Connected" : "✗ Failed"}: ${r.message}${webhookNote(r.details?.webhook)}`;
    Object.assign(i, r.integration);
    const li = out.closest(".item");
    li.querySelector(".badge").replaceWith(badge(i.status));
    li.querySelector(".last-test").textContent = fmtDate(i.last_tested_at);
  } catch (error) {
    out.className = "result fail";
    out.textContent = `✗ ${error.message}`;
  } finally {
    button.disabled = false;
  }
}

/** What the provider's webhook check said, as a sentence to append. */
function webhookNote(w) {
  if (!w) return "";
  if (w.error) return `. Webhooks: could not check (${w.error})`;
  if (w.points_here)
    return `. Webhooks point to this hub${w.subscription === "pending_confirmation" ? " (confirmation pending)" : ""}`;
  return `. Webhooks ${w.current_url ? `go to ${w.current_url}` : "are not set"}, not to this hub`;
}

/** Points the provider's webhooks for this integration at the hub. */
export async function registerWebhooks(i, button, out) {
  button.disabled = true;
  out.className = "result";
  out.textContent = "Registering webhooks…";
  try {
    const r = await api("POST", `/api/integrations/${i.id}/webhooks/register`);
    out.className = `result ${r.ok ? "ok" : "fail"}`;
    out.textContent = `${r.ok ? "✓ Registered" : "✗ Failed"}: ${r.message}${webhookNote(r.webhook)}`;
    Object.assign(i, r.integration);
  } catch (error) {
    out.className = "result fail";
    out.textContent = `✗ ${error.message}`;
  } finally {
    button.disabled = false;
  }
}

export async function toggle(i) {
  try {
    await api("PATCH", `/api/integrations/${i.id}`, { is_active: !i.is_active });
    banner(`${i.name} ${i.is_active ? "deactivated" : "activated"}.`, "ok");
    await rerender(i.id);
  } catch (error) {
    banner(error.message, "fail");
  }
}

export async function confirmDelete(i) {
  const ok = await confirmDialog(
    `Delete ${i.name}?`,
    `This deletes the ${providerName(i.provider)} integration "${i.name}" and its stored credentials. This cannot be undone.`,
    "Delete",
  );
  if (!ok) return;
  try {
    await api("DELETE", `/api/integrations/${i.id}`);
    banner(`${i.name} deleted.`, "ok");
    if (location.hash) location.hash = "";
    await renderOverview();
    $("#main").focus();
  } catch (error) {
    banner(error.message, "fail");
  }
}
