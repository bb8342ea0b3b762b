// @ts-check
// The detail view's accounts tab, for providers whose one connection reaches several accounts
// (the Facebook Pages a user token manages): lists them and makes the integration use one.

import { api } from "./api.js";
import { banner, h, table } from "./dom.js";

/** @import { Account, Integration } from "./types.js" */

/**
 * @param {Integration} i
 * @param {HTMLElement} panel
 * @param {string} label what the accounts are called (Pages)
 */
export async function renderAccounts(i, panel, label) {
  /** @type {{ label: string, accounts: Account[] }} */
  const r = await api("GET", `/api/integrations/${i.id}/accounts`);
  // The panel was replaced (another tab or integration): this answer is no longer wanted.
  if (!panel.isConnected) return;
  const current = r.accounts.find((a) => a.selected);
  panel.replaceChildren(
    h(
      "p",
      { class: "small muted", id: "accounts-current", tabindex: "-1" },
      current ? `In use: ${current.name} (${current.id})` : `No ${label.toLowerCase()} chosen yet.`,
    ),
    table(
      label,
      [
        ["Name", (a) => a.name],
        ["ID", (a) => h("span", { class: "mono" }, a.id)],
        ["Category", (a) => /** @type {string | undefined} */ (a.details?.category)],
        [
          "",
          (a) =>
            a.selected
              ? h("span", { class: "badge" }, "In use")
              : h(
                  "button",
                  {
                    type: "button",
                    class: "btn small",
                    dataset: { account: a.id },
                    onclick: (e) => choose(i, a, e.currentTarget, label),
                  },
                  `Use ${a.name}`,
                ),
        ],
      ],
      r.accounts,
    ),
  );
}

/**
 * Makes the integration use `account`, then shows the list again.
 * @param {Integration} i
 * @param {Account} account
 * @param {HTMLButtonElement} button
 * @param {string} label
 */
async function choose(i, account, button, label) {
  button.disabled = true;
  try {
    await api("POST", `/api/integrations/${i.id}/accounts/select`, { account_id: account.id });
    banner(`${i.name} now uses ${account.name}.`, "ok");
  } catch (error) {
    banner(/** @type {Error} */ (error).message, "fail");
  }
  const panel = button.closest(".tabpanel");
  if (!(panel instanceof HTMLElement)) return;
  await renderAccounts(i, panel, label);
  /** @type {HTMLElement | null} */ (panel.querySelector("#accounts-current"))?.focus();
}
