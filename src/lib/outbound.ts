/**
 * The one outbound path for everything the hub does on a tenant's behalf: provider calls, test
 * connection, the proxy, OAuth token/refresh/revoke calls, event deliveries (a guarded fetch) and
 * SMTP (a guarded socket opener).
 *
 * Each destination is checked as written first: http and https only, no credentials in the URL,
 * and no loopback, private, link-local, CGNAT, multicast, unspecified, reserved or metadata
 * address, with every IPv6 form that embeds an IPv4 address (mapped, compatible, SIIT, 6to4,
 * NAT64, Teredo) judged by the embedded address. Names are judged again where the connection is
 * made: when the deployment binds `OUTBOUND` to a workerd network service that allows only
 * public addresses (`network = (allow = ["public"])`), fetch and connect() go through it, so a
 * name that resolves to a private address (DNS, the hosts file, DNS rebinding) is refused at
 * connect time. Without the binding they use the runtime's own egress (on Cloudflare, the
 * edge's, which does not reach private networks). Only `ALLOW_PRIVATE_URLS` allows private
 * addresses; the in-process sandbox is not the network and is always allowed.
 *
 * Redirects are never followed: every request is sent with `redirect: "manual"`, and a 3xx
 * reaches the caller as it is.
 */
import { connect as socketConnect } from "cloudflare:sockets";

export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

/** Makes one HTTP request (the same shape as the providers' HttpClient). */
export type OutboundFetch = (request: Request) => Promise<Response>;
/** Opens a TCP socket (the shape of `connect()` from "cloudflare:sockets"). */
export type SocketOpener = (address: SocketAddress, options?: SocketOptions) => Socket;

/** A destination the hub refuses to connect to; the message says why, for the tenant. */
export class OutboundRefused extends Error {
  override name = "OutboundRefused";
}

/** A connection that could not be made (refused at connect time, unreachable, TLS failure). */
export class OutboundUnreachable extends Error {
  override name = "OutboundUnreachable";
}

/** A request that got no answer within its time; the request was aborted. */
export class OutboundTimeout extends Error {
  override name = "OutboundTimeout";
  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms (timeout)`);
  }
}

/**
 * The one request timeout: runs `work` with a signal that aborts when `ms` run out, and rejects
 * with OutboundTimeout at that moment even if `work` ignores the signal, so a caller never
 * waits longer. The timer is cleared as soon as `work` settles. Whatever `work` awaits (the
 * response, its body) counts against the same time.
 */
export async function withTimeout<T>(ms: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const reason = new OutboundTimeout(ms);
      reject(reason);
      controller.abort(reason);
    }, ms);
  });
  try {
    return await Promise.race([work(controller.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}

// ---- the address classifier ----------------------------------------------------------------

/** What kind of non-public address an IP is, or null for a public one. */
export type AddressClass =
  | "unspecified"
  | "loopback"
  | "private"
  | "link-local"
  | "carrier-grade NAT"
  | "multicast"
  | "reserved"
  | "metadata";

function parseIpv4(host: string): number[] | undefined {
  const m = host.match(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts : undefined;
}

function classifyIpv4([a = 0, b = 0, c = 0, d = 0]: number[]): AddressClass | null {
  if (a === 0) return "unspecified";
  if (a === 127) return "loopback";
  if (a === 169 && b === 254) return c === 169 && d === 254 ? "metadata" : "link-local";
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return "private";
  if (a === 100 && b >= 64 && b <= 127) return "carrier-grade NAT";
  if (a >= 224 && a <= 239) return "multicast";
  if (a >= 240) return "reserved";
  // IETF protocol assignments, TEST-NET-1/2/3, benchmarking (RFC 6890).
  if (a === 192 && b === 0 && (c === 0 || c === 2)) return "reserved";
  if (a === 198 && (b === 18 || b === 19)) return "reserved";
  if ((a === 198 && b === 51 && c === 100) || (a === 203 && b === 0 && c === 113)) return "reserved";
  return null;
}

/** The eight 16-bit groups of an IPv6 address (brackets, zone and a dotted IPv4 tail allowed). */
function parseIpv6(raw: string): number[] | undefined {
  let h = raw
    .replace(/^\[|\]$/g, "")
    .toLowerCase()
    .replace(/%.*$/, "");
  if (!/^[0-9a-f:.]+$/.test(h) || !h.includes(":")) return undefined;
  const dotted = h.match(/^(.*:)(\d+\.\d+\.\d+\.\d+)$/);
  if (dotted) {
    const [a = 0, b = 0, c = 0, d = 0] = parseIpv4(dotted[2] ?? "") ?? [];
    if (!parseIpv4(dotted[2] ?? "")) return undefined;
    h = `${dotted[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = h.split("::");
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s ? s.split(":") : []);
  const head = groups(halves[0] ?? "");
  const tail = halves.length === 2 ? groups(halves[1] ?? "") : [];
  if ([...head, ...tail].some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return undefined;
  const known = head.length + tail.length;
  if (halves.length === 1 ? known !== 8 : known > 7) return undefined;
  return [...head, ...new Array(8 - known).fill("0"), ...tail].map((g) => Number.parseInt(g, 16));
}

const v4From = (hi: number, lo: number) => [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff];

function classifyIpv6(g: number[]): AddressClass | null {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const zeroTo = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeroTo(8)) return "unspecified";
  if (zeroTo(7) && g7 === 1) return "loopback";
  // IPv4-compatible ::a.b.c.d, IPv4-mapped ::ffff:a.b.c.d, SIIT ::ffff:0:a.b.c.d.
  if (zeroTo(6) || (zeroTo(5) && g5 === 0xffff) || (zeroTo(4) && g4 === 0xffff && g5 === 0))
    return classifyIpv4(v4From(g6, g7)) ?? (zeroTo(6) ? "reserved" : null);
  // NAT64: the well-known prefix 64:ff9b::/96 embeds an IPv4; the local-use 64:ff9b:1::/48 is private.
  if (g0 === 0x64 && g1 === 0xff9b) {
    if (g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return classifyIpv4(v4From(g6, g7));
    return g2 === 1 ? "private" : "reserved";
  }
  // 6to4: 2002:AABB:CCDD::/48 carries a.b.c.d in its second and third groups.
  if (g0 === 0x2002) return classifyIpv4(v4From(g1, g2));
  // Teredo 2001:0::/32: the server's IPv4 in groups 2-3, the client's (inverted) in 6-7.
  if (g0 === 0x2001 && g1 === 0)
    return classifyIpv4(v4From(g2, g3)) ?? classifyIpv4(v4From(g6 ^ 0xffff, g7 ^ 0xffff));
  if ((g0 & 0xfe00) === 0xfc00) return g0 === 0xfd00 && g1 === 0x0ec2 ? "metadata" : "private";
  if ((g0 & 0xffc0) === 0xfe80) return "link-local";
  if ((g0 & 0xffc0) === 0xfec0) return "private"; // site-local (deprecated)
  if ((g0 & 0xff00) === 0xff00) return "multicast";
  if (g0 === 0x0100 && g1 === 0 && g2 === 0 && g3 === 0) return "reserved"; // discard-only
  if (g0 === 0x2001 && g1 === 0x0db8) return "reserved"; // documentation
  if (g0 === 0) return "reserved"; // ::/8 other than the forms above
  return null;
}

/**
 * Classifies an IP address as written (IPv4 dotted quad, or IPv6 with or without brackets):
 * null for a public address or anything that is not an IP literal.
 */
export function classifyAddress(host: string): AddressClass | null {
  const v4 = parseIpv4(host);
  if (v4) return classifyIpv4(v4);
  const v6 = parseIpv6(host);
  return v6 ? classifyIpv6(v6) : null;
}

const BLOCKED_HOSTS = new Set(["localhost", "metadata.google.internal", "metadata", "instance-data"]);
const BLOCKED_SUFFIXES = [".localhost", ".internal", ".local", ".home.arpa"];

/** Why a host (as the WHATWG URL parser normalised it) is refused, or null when it is not. */
function hostRefusal(hostname: string): string | null {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  const kind = classifyAddress(host);
  if (kind) return `is a ${kind} address`;
  if (BLOCKED_HOSTS.has(host) || BLOCKED_SUFFIXES.some((s) => host.endsWith(s)))
    return "names a local or metadata host";
  return null;
}

/**
 * Checks a tenant-given URL as written: absolute, http or https, no credentials and, unless
 * `allowPrivate`, no private, loopback, link-local, CGNAT, multicast or metadata host. Numeric
 * forms are normalised by the WHATWG URL parser first (`http://2130706433/` is 127.0.0.1).
 */
export function checkOutboundUrl(raw: string, allowPrivate: boolean): UrlCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: "must be an absolute URL" };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return { ok: false, reason: "must use http or https" };
  }
  if (url.username || url.password) return { ok: false, reason: "must not contain credentials" };
  if (allowPrivate) return { ok: true, url };
  if (hostRefusal(url.hostname)) {
    return { ok: false, reason: "must not point at a private, loopback, link-local or metadata address" };
  }
  return { ok: true, url };
}

/**
 * Checks a tenant-given host name or IP address (an SMTP host) as written, by the rules of
 * checkOutboundUrl. Resolves with the normalised host, or a reason.
 */
export function checkOutboundHost(
  host: string,
  allowPrivate: boolean,
): { ok: true; host: string } | { ok: false; reason: string } {
  const bracketed = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  const check = checkOutboundUrl(`https://${bracketed}/`, allowPrivate);
  if (!check.ok) return check;
  if (check.url.port || check.url.pathname !== "/" || check.url.search || check.url.hash)
    return { ok: false, reason: "must be a host name or IP address" };
  return { ok: true, host: check.url.hostname };
}

// ---- the guarded fetch and socket opener -----------------------------------------------------

export interface OutboundOptions {
  /** The deployment's ALLOW_PRIVATE_URLS: the only thing that allows private addresses. */
  allowPrivate: boolean;
  /**
   * A workerd network service (`network = (allow = ["public"])`) that every connection goes
   * through; refuses, at connect time, names that resolve to addresses it does not allow.
   */
  network?: Fetcher;
  /** Requests under `base` are answered in-process by `fetch` (the sandbox), not sent out. */
  local?: { base: string; fetch: (request: Request) => Promise<Response> };
}

export interface Outbound {
  fetch: OutboundFetch;
  connect: SocketOpener;
}

/** Why connecting failed, in words a tenant can act on; the runtime's own text stays in logs. */
function unreachable(where: string, allowPrivate: boolean): string {
  return allowPrivate
    ? `could not connect to ${where} (network error)`
    : `could not connect to ${where}: refused or unreachable (the hub connects only to public addresses; a host that resolves to a private address is refused)`;
}

/**
 * The guarded fetch and socket opener for one deployment's settings. Both throw OutboundRefused
 * for a destination refused as written; the fetch rejects with OutboundUnreachable when the
 * connection cannot be made (an HTTP status is never an error).
 */
export function createOutbound(opts: OutboundOptions): Outbound {
  const { allowPrivate, network, local } = opts;
  const localBase = local ? `${local.base.replace(/\/+$/, "")}/` : undefined;

  const fetchGuarded: OutboundFetch = async (req) => {
    if (local && localBase && req.url.startsWith(localBase)) return local.fetch(req);
    const check = checkOutboundUrl(req.url, allowPrivate);
    if (!check.ok) throw new OutboundRefused(`refused: the URL ${check.reason}`);
    const request = new Request(req, { redirect: "manual" });
    try {
      return await (network ? network.fetch(request) : fetch(request));
    } catch (e) {
      if (request.signal.aborted) throw e;
      throw new OutboundUnreachable(unreachable(check.url.host, allowPrivate), { cause: e });
    }
  };

  const connectGuarded: SocketOpener = (address, options) => {
    const check = checkOutboundHost(address.hostname, allowPrivate);
    if (!check.ok) throw new OutboundRefused(`refused: the host ${check.reason}`);
    return network ? network.connect(address, options) : socketConnect(address, options);
  };

  return { fetch: fetchGuarded, connect: connectGuarded };
}
