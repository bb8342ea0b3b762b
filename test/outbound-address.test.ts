/**
 * The outbound module (src/lib/outbound.ts) on its own: the address classifier on every IPv6
 * form that embeds IPv4, URL and host checks as written, and the guarded fetch and socket
 * opener (refusals before any connection, the in-process sandbox, and the OUTBOUND network
 * refusing at connect time a name that resolves to loopback; see vitest.config.ts).
 */
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { checkOutboundHost, checkOutboundUrl, classifyAddress, createOutbound } from "../src/lib/outbound.ts";

const targets = inject("outbound");
const NAME = targets.loopbackName;

async function trapCount(): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${targets.http}/counts`);
  return ((await res.json()) as { trap: number }).trap;
}

describe("the address classifier", () => {
  describe.each([
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["169.254.169.254", "metadata"],
    ["169.254.1.1", "link-local"],
    ["100.64.0.1", "carrier-grade NAT"],
    ["100.127.255.254", "carrier-grade NAT"],
    ["0.0.0.0", "unspecified"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["240.0.0.1", "reserved"],
    ["255.255.255.255", "reserved"],
    ["198.18.0.1", "reserved"],
    ["::", "unspecified"],
    ["::1", "loopback"],
    ["[::1]", "loopback"],
    ["0:0:0:0:0:0:0:1", "loopback"],
    // IPv4-mapped, dotted and hex.
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["[::ffff:a9fe:a9fe]", "metadata"],
    ["::ffff:10.0.0.1", "private"],
    // IPv4-compatible.
    ["::127.0.0.1", "loopback"],
    ["::7f00:1", "loopback"],
    ["[::10.0.0.1]", "private"],
    // SIIT (IPv4-translated).
    ["::ffff:0:7f00:1", "loopback"],
    ["::ffff:0:127.0.0.1", "loopback"],
    ["::ffff:0:c0a8:101", "private"],
    // 6to4.
    ["2002:7f00:1::", "loopback"],
    ["2002:a9fe:a9fe::1", "metadata"],
    ["2002:c0a8:0101::", "private"],
    // NAT64 (well-known prefix and local-use).
    ["64:ff9b::7f00:1", "loopback"],
    ["64:ff9b::127.0.0.1", "loopback"],
    ["64:ff9b::a00:1", "private"],
    ["64:ff9b:1::1", "private"],
    // Teredo with a private server.
    ["2001:0:a00:1::1", "private"],
    ["fc00::1", "private"],
    ["fd12:3456::1", "private"],
    ["fd00:ec2::254", "metadata"],
    ["fe80::1", "link-local"],
    ["fe80::1%eth0", "link-local"],
    ["ff02::1", "multicast"],
    ["2001:db8::1", "reserved"],
  ])("%s is %s", (host, kind) => {
    it("is refused", () => {
      expect(classifyAddress(host)).toBe(kind);
      expect(
        checkOutboundUrl(
          `http://${host.includes(":") && !host.startsWith("[") ? `[${host.replace(/%.*/, "")}]` : host}/`,
          false,
        ).ok,
      ).toBe(false);
    });
  });

  it.each([
    "8.8.8.8",
    "1.1.1.1",
    "172.32.0.1",
    "100.128.0.1",
    "2606:4700:4700::1111",
    "::ffff:8.8.8.8",
    "::ffff:0:808:808",
    "2002:808:808::1",
    "64:ff9b::808:808",
    "example.com",
    "not-an-ip",
  ])("%s is public (or not an IP)", (host) => {
    expect(classifyAddress(host)).toBeNull();
  });

  it.each([
    "http://2130706433/",
    "http://0x7f.1/",
    "http://0177.0.0.1/",
    "http://127.1/",
    "http://[::127.0.0.1]/",
    "http://[::ffff:0:7f00:1]/",
    "http://[2002:7f00:1::]/",
    "http://[64:ff9b::7f00:1]/",
    "http://[0:0:0:0:0:ffff:127.0.0.1]/",
    "http://localhost./",
    "http://api.localhost/",
    "http://metadata.google.internal/",
    "javascript:alert(1)",
    "data:text/html,hi",
    "file:///etc/passwd",
    "ftp://example.com/",
    "https://user:pw@example.com/",
  ])("checkOutboundUrl refuses %s", (url) => {
    expect(checkOutboundUrl(url, false).ok).toBe(false);
  });

  it("checkOutboundUrl accepts public http(s); ALLOW_PRIVATE_URLS alone allows private hosts", () => {
    expect(checkOutboundUrl("https://api.example.com/v1", false).ok).toBe(true);
    expect(checkOutboundUrl("http://[2606:4700:4700::1111]/", false).ok).toBe(true);
    expect(checkOutboundUrl("http://127.0.0.1:8069/", true).ok).toBe(true);
    expect(checkOutboundUrl("javascript:alert(1)", true).ok).toBe(false);
  });

  it("checkOutboundHost judges SMTP hosts the same way, bare IPv6 included", () => {
    for (const host of ["::ffff:127.0.0.1", "::127.0.0.1", "2002:7f00:1::", "2130706433", "localhost"])
      expect(checkOutboundHost(host, false).ok, host).toBe(false);
    expect(checkOutboundHost("smtp.example.com", false)).toEqual({ ok: true, host: "smtp.example.com" });
    expect(checkOutboundHost("smtp.example.com:25", false).ok).toBe(false);
  });
});

describe("the guarded fetch and socket opener", () => {
  it("refuses a private destination before any connection, whatever the sandbox says", async () => {
    const { fetch: guarded, connect } = createOutbound({ allowPrivate: false });
    const before = await trapCount();
    await expect(guarded(new Request(`http://[::ffff:127.0.0.1]:${targets.trap}/`))).rejects.toThrow(
      /^refused: the URL must not point at a private/,
    );
    expect(() => connect({ hostname: "::127.0.0.1", port: targets.trap })).toThrow(/^refused: the host/);
    expect(await trapCount()).toBe(before);
  });

  it("answers requests to the in-process sandbox without the network", async () => {
    const seen: string[] = [];
    const { fetch: guarded } = createOutbound({
      allowPrivate: false,
      local: {
        base: "http://127.0.0.1:8787/sandbox",
        fetch: async (req) => {
          seen.push(req.url);
          return new Response("local");
        },
      },
    });
    const res = await guarded(new Request("http://127.0.0.1:8787/sandbox/other/ping"));
    expect(await res.text()).toBe("local");
    expect(seen).toEqual(["http://127.0.0.1:8787/sandbox/other/ping"]);
    await expect(guarded(new Request("http://127.0.0.1:8787/admin"))).rejects.toThrow(/^refused/);
  });

  it("refuses, where the connection is made, a name that resolves to a loopback address", async () => {
    const { fetch: guarded, connect } = createOutbound({
      allowPrivate: false,
      network: (env as Env).OUTBOUND,
    });
    const before = await trapCount();
    await expect(guarded(new Request(`http://${NAME}:${targets.trap}/`))).rejects.toThrow(
      /could not connect to .*: refused or unreachable/,
    );
    const socket = connect({ hostname: NAME, port: targets.trap });
    await expect(socket.opened).rejects.toThrow();
    expect(await trapCount()).toBe(before);
  });
});
