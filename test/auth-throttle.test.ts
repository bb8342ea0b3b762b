/**
 * Failed authentication is throttled per client address (CF-Connecting-IP) and per key prefix
 * with the Workers Rate Limiting binding: 429 with Retry-After, and the answer never tells
 * whether a key exists. The binding is replaced by a counter so no test depends on where in
 * the binding's clock window it runs.
 */
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, call, newOrg } from "./harness.ts";

/** The binding's contract (`limit({ key })` counts one hit), with a fixed limit and no clock. */
function counter(limit: number) {
  const hits = new Map<string, number>();
  return {
    hits,
    binding: {
      async limit({ key }: { key: string }) {
        const n = (hits.get(key) ?? 0) + 1;
        hits.set(key, n);
        return { success: n <= limit };
      },
    } as unknown as RateLimit,
  };
}

let n = 0;
const address = () => `198.51.100.${(++n % 250) + 1}`;
const unknownKey = () => `sbk_${crypto.randomUUID().replace(/-/g, "")}`;

describe("failed authentication is throttled", () => {
  it("a burst of wrong keys from one address ends in 429 with Retry-After; a right key from another address works", async () => {
    const org = await newOrg();
    const limiter = counter(5);
    const ip = address();
    const from = (addr: string, key: string) =>
      call("GET", "/api/integrations", {
        key,
        headers: { "cf-connecting-ip": addr },
        env: { RATE_LIMIT_AUTH: limiter.binding },
      });
    for (let i = 0; i < 5; i++) expect((await from(ip, unknownKey())).status).toBe(401);
    const over = await from(ip, unknownKey());
    expect(over.status, over.text).toBe(429);
    expect(over.json.code).toBe("RATE_LIMITED");
    expect(Number(over.headers.get("retry-after"))).toBeGreaterThan(0);
    // While the address is throttled, even a right key is refused: a guess that happens to be
    // right cannot be told from the others.
    const rightHere = await from(ip, org.adminKey);
    expect(rightHere.status).toBe(429);
    const rightElsewhere = await from(address(), org.adminKey);
    expect(rightElsewhere.status, rightElsewhere.text).toBe(200);
  });

  it("wrong secrets for one key prefix from many addresses end in 429 for that prefix", async () => {
    const org = await newOrg();
    const limiter = counter(3);
    const prefix = org.memberKey.slice(0, 12);
    const guess = () => `${prefix}${crypto.randomUUID().replace(/-/g, "")}`;
    const from = (key: string) =>
      call("GET", "/api/integrations", {
        key,
        headers: { "cf-connecting-ip": address() },
        env: { RATE_LIMIT_AUTH: limiter.binding },
      });
    for (let i = 0; i < 3; i++) expect((await from(guess())).status).toBe(401);
    const over = await from(guess());
    expect(over.status).toBe(429);
    expect(over.headers.get("retry-after")).toMatch(/^[1-9][0-9]*$/);
    // Other keys are not affected.
    expect((await from(org.adminKey)).status).toBe(200);
  });

  it("only failures count: many right-key requests from one address all pass", async () => {
    const org = await newOrg();
    const limiter = counter(2);
    const ip = address();
    for (let i = 0; i < 6; i++) {
      const r = await call("GET", "/api/integrations", {
        key: org.memberKey,
        headers: { "cf-connecting-ip": ip },
        env: { RATE_LIMIT_AUTH: limiter.binding },
      });
      expect(r.status).toBe(200);
    }
    expect([...limiter.hits.values()].reduce((a, b) => a + b, 0)).toBe(0);
  });

  it("an unknown key and a wrong secret for a real key get the same answer", async () => {
    const org = await newOrg();
    const limiter = counter(100);
    const ask = (key: string) =>
      call("GET", "/api/integrations", {
        key,
        headers: { "cf-connecting-ip": address() },
        env: { RATE_LIMIT_AUTH: limiter.binding },
      });
    const unknown = await ask(unknownKey());
    const wrong = await ask(`${org.adminKey.slice(0, -1)}${org.adminKey.endsWith("A") ? "B" : "A"}`);
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    const shape = (j: Record<string, unknown>) => ({ ...j, request_id: undefined });
    expect(shape(wrong.json)).toEqual(shape(unknown.json));
    // Both counted: the address and the prefix.
    expect(limiter.hits.size).toBe(4);
  });

  it("wrong operator tokens are throttled per address too", async () => {
    const limiter = counter(2);
    const ip = address();
    const op = (token: string) =>
      call("GET", "/admin/organizations", {
        key: token,
        headers: { "cf-connecting-ip": ip },
        env: { RATE_LIMIT_AUTH: limiter.binding },
      });
    expect((await op("wrong-operator-token-0")).status).toBe(401);
    expect((await op("wrong-operator-token-1")).status).toBe(401);
    const over = await op("wrong-operator-token-2");
    expect(over.status).toBe(429);
    expect(over.headers.get("retry-after")).toBeTruthy();
    expect((await op(ADMIN_TOKEN)).status).toBe(429);
  });
});
