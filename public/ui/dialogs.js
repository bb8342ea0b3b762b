// @ts-check
// The confirmation dialog: resolves true when confirmed, and gives focus back to its opener.

import { $ } from "./dom.js";

/**
 * @param {string} title
 * @param {string} text
 * @param {string} okLabel the confirming button's label
 * @returns {Promise<boolean>}
 */
export function confirmDialog(title, text, okLabel) {
  const d = /** @type {HTMLDialogElement} */ ($("#confirm-dialog"));
  $("#confirm-title").textContent = title;
  $("#confirm-text").textContent = text;
  $("#confirm-ok").textContent = okLabel;
  const opener = /** @type {HTMLElement | null} */ (document.activeElement);
  d.returnValue = "";
  d.showModal();
  $("#confirm-cancel").focus();
  return new Promise((res) => {
    d.addEventListener(
      "close",
      () => {
        opener?.focus?.();
        res(d.returnValue === "ok");
      },
      { once: true },
    );
  });
}
