// The hub's JSON API as the web UI calls it: the key as a bearer token, errors as ApiError.

import { state } from "./state.js";

/** Called when the hub refuses the signed-in key (set by the entry module: signs out). */
let onUnauthorized = () => {};

/** Sets what happens when the hub answers 401 to the signed-in key. */
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error ?? `HTTP ${status}`);
    this.status = status;
    this.body = body ?? {};
    this.issues = Array.isArray(body?.issues) ? body.issues : [];
  }
}

export async function api(method, path, body) {
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
