// The confirmation dialog: resolves true when confirmed, and gives focus back to its opener.

import { $ } from "./dom.js";

export function confirmDialog(title, text, okLabel) {
  const d = $("#confirm-dialog");
  $("#confirm-title").textContent = title;
  $("#confirm-text").textContent = text;
  $("#confirm-ok").textContent = okLabel;
  const opener = document.activeElement;
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
