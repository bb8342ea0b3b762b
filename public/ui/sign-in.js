// @ts-check
// Signing in with an organization API key (kept in sessionStorage only) and signing out.

import { api } from "./api.js";
import { $ } from "./dom.js";
import { route, show } from "./nav.js";
import { KEY_STORAGE, state } from "./state.js";

/** @import { ApiError } from "./api.js" */

/**
 * Signs out: forgets the key and shows the sign-in form, with `message` as its error if given.
 * @param {string} [message]
 */
export function signOut(message) {
  state.key = "";
  sessionStorage.removeItem(KEY_STORAGE);
  $("#whoami").hidden = true;
  show("signin");
  if (message) $("#api-key-error").textContent = message;
  $("#api-key").focus();
}

/**
 * The sign-in form's submit: checks the key with the API, keeps it for the tab and enters.
 * @param {SubmitEvent} e
 */
export async function onSignIn(e) {
  e.preventDefault();
  const input = /** @type {HTMLInputElement} */ ($("#api-key"));
  const key = input.value.trim();
  const err = $("#api-key-error");
  err.textContent = "";
  if (!key) {
    err.textContent = "Enter an API key.";
    input.setAttribute("aria-invalid", "true");
    input.focus();
    return;
  }
  state.key = key;
  try {
    await api("GET", "/api/integrations?limit=1");
  } catch (error) {
    state.key = "";
    const { status, message } = /** @type {ApiError} */ (error);
    err.textContent = status === 401 ? "This key was not accepted." : message;
    input.setAttribute("aria-invalid", "true");
    input.focus();
    return;
  }
  input.removeAttribute("aria-invalid");
  input.value = "";
  sessionStorage.setItem(KEY_STORAGE, key);
  await enter();
}

/** Shows the signed-in key and renders the view the URL names. */
export async function enter() {
  $("#whoami").hidden = false;
  $("#whoami-text").textContent = `Key ${state.key.slice(0, 8)}…${state.key.slice(-4)}`;
  await route();
}
