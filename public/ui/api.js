// @ts-check
// The hub's JSON API as the web UI calls it: the key as a bearer token, errors as ApiError.

import { state } from "./state.js";

/**
 * Called when the hub refuses the signed-in key (set by the entry module: signs out).
 * @type {(message: string) => void}
 */
let onUnauthorized = () => {};

/**
 * Sets what happens when the hub answers 401 to the signed-in key.
 * @param {(message: string) => void} fn
 */
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

/** @typedef {{ path: string, message: string }} Issue a validation issue: the field's path and what is wrong */

/** A refusal of the API: its HTTP status, its JSON body and the validation issues it names. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {{ error?: string, issues?: Issue[], [key: string]: unknown } | null} body
   */
  constructor(status, body) {
    super(body?.error ?? `HTTP ${status}`);
    this.status = status;
    this.body = body ?? {};
    /** @type {Issue[]} */
    this.issues = Array.isArray(body?.issues) ? body.issues : [];
  }
}

/**
 * Calls the API with the signed-in key: the parsed JSON answer, or an ApiError when refused.
 * The answer is typed where it is used (a JSDoc cast of the awaited call, or the variable it goes to).
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body] sent as JSON
 * @returns {Promise<any>}
 */
export async function api(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { accept: "application/json" };
  if (state.key) headers.authorization = `Bearer ${state.key}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { error: text.slice(0, 200) };
  }
  if (res.status === 401 && state.key && !path.startsWith("/api/integrations/providers")) {
    onUnauthorized("Your API key was not accepted. Sign in again.");
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}
