/**
 * Stands in for `cloudflare:sockets` when src modules are imported in Node: the senders checked
 * here pull in provider modules that can open sockets, but no test here opens one.
 */
export function connect(): never {
  throw new Error("cloudflare:sockets is not available in Node");
}
