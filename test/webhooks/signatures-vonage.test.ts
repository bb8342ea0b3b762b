/**
 * Vonage SMS API webhook signatures (`sig`) in each signature method the dashboard offers:
 * md5hash and the MD5, SHA-1, SHA-256 and SHA-512 HMACs. The hub's verifier against Vonage's
 * official vectors (vonage-node-sdk's signature data set, providers.md §3), the simulator's
 * signer (its own MD5, checked against RFC 1321 and RFC 2202) against the same vectors, each
 * method's receipt verified by that method only, the ways a request is refused, and the replay
 * window.
 */
import { describe, expect, it } from "vitest";
import { utf8 } from "../../src/crypto/encoding.ts";
import { signedString, webhook as vonageWebhook } from "../../src/providers/vonage/webhook.ts";
import { hmacMd5, md5 } from "../../src/sandbox/webhooks/md5.ts";
import { hex, VONAGE_METHODS, vonageSignature } from "../../src/sandbox/webhooks/signing.ts";
import { vonage } from "../../src/sandbox/webhooks/vonage.ts";
import { fromRequest, request, reserialized, webhookContext } from "./verify-helpers.ts";

const ctx = webhookContext;

describe("vonage sig", () => {
  const SECRET = "my_secret_key_for_testing";
  const PARAMS = {
    "message-timestamp": "2013-11-21 15:27:30",
    messageId: "020000001B0FE827",
    msisdn: "14843472194",
    text: "Test again",
    timestamp: "1385047698",
    to: "13239877404",
    type: "text",
  };
  const AT = 1_385_047_698_000;
  const KATS = {
    md5hash: "d2e7b1dc968737c5998ad624e02f90b7",
    md5: "DDEBD46008C2D4E93CCE578A332A52D5",
    sha1: "27D0D05C2876C7CB1720DBCDBA4D492E1E55C09A",
    sha256: "DDB8397C2B90AAC7F3882D306475C9A5058C92322EEF43C92B298B6E0FC0D330",
    sha512:
      "E0D3C650F8C9D1A5C174D10DDDBFB003E561F59B265616208B0487C5D819481CD3C311D59CF6165ECD1139622D5BA3A256C0D763AC4A9AD9144B5A426B94FE82",
  };
  const URL_ = "https://hub.test/webhooks/vonage/0190";
  const get = (params: Record<string, string>) => request("GET", `${URL_}?${new URLSearchParams(params)}`);
  const vctx = (method: string, now = AT, secret = SECRET) =>
    ctx({ signature_secret: secret }, now, { signature_method: method });

  it("joins sorted parameters as &key=value with & and = in values replaced by _", () => {
    expect(signedString({ b: "x=1&y", a: "2", sig: "ignored" })).toBe("&a=2&b=x_1_y");
  });

  for (const [method, sig] of Object.entries(KATS)) {
    it(`verifies the official ${method} vector, in either case`, async () => {
      expect(await vonageWebhook.verify(get({ ...PARAMS, sig }), vctx(method))).toEqual({ ok: true });
      expect(await vonageWebhook.verify(get({ ...PARAMS, sig: sig.toLowerCase() }), vctx(method))).toEqual({
        ok: true,
      });
    });
  }

  it("the simulator's signer computes each official vector on its own (its MD5 is not the hub's)", async () => {
    for (const [method, sig] of Object.entries(KATS)) {
      expect(await vonageSignature(method, SECRET, PARAMS), method).toBe(sig.toUpperCase());
    }
  });

  it("the simulator's MD5 gives RFC 1321's test suite answers", () => {
    const suite: Record<string, string> = {
      "": "d41d8cd98f00b204e9800998ecf8427e",
      a: "0cc175b9c0f1b6a831c399e269772661",
      abc: "900150983cd24fb0d6963f7d28e17f72",
      "message digest": "f96b697d7cb7938d525a2f31aaf161d0",
      abcdefghijklmnopqrstuvwxyz: "c3fcd3d76192e4007dfb496cca67e13b",
      ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789: "d174ab98d277d9f5a5611c2c9f419d9f",
      "12345678901234567890123456789012345678901234567890123456789012345678901234567890":
        "57edf4a22be3c955ac49da2e2107b67a",
    };
    for (const [input, digest] of Object.entries(suite)) expect(hex(md5(utf8(input))), input).toBe(digest);
    // RFC 2202's HMAC-MD5 cases 1 and 6 (a key longer than the block is hashed first).
    expect(hex(hmacMd5(new Uint8Array(16).fill(0x0b), utf8("Hi There")))).toBe(
      "9294727a3638bb1c13f48ef8158bfc9d",
    );
    expect(
      hex(
        hmacMd5(
          new Uint8Array(80).fill(0xaa),
          utf8("Test Using Larger Than Block-Size Key - Hash Key First"),
        ),
      ),
    ).toBe("6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd");
  });

  it("each method's receipt from the simulator is verified with the same method only", async () => {
    for (const method of VONAGE_METHODS) {
      const req = await vonage.build({
        url: URL_,
        secrets: { signature_secret: SECRET },
        config: { signature_method: method },
        event: "status",
      });
      const wr = await fromRequest(req);
      expect(await vonageWebhook.verify(wr, vctx(method, Date.now())), method).toEqual({ ok: true });
      for (const other of VONAGE_METHODS.filter((m) => m !== method)) {
        expect(
          await vonageWebhook.verify(wr, vctx(other, Date.now())),
          `${method} as ${other}`,
        ).toMatchObject({
          ok: false,
          reason: "signature does not match",
        });
      }
    }
  });

  it("defaults to HMAC-SHA256 and reads POSTed forms and JSON alike", async () => {
    const params = { ...PARAMS, sig: KATS.sha256 };
    const noMethod = ctx({ signature_secret: SECRET }, AT);
    expect(await vonageWebhook.verify(get(params), noMethod)).toEqual({ ok: true });
    const form = request(
      "POST",
      URL_,
      { "content-type": "application/x-www-form-urlencoded" },
      `${new URLSearchParams(params)}`,
    );
    expect(await vonageWebhook.verify(form, noMethod)).toEqual({ ok: true });
    const json = request("POST", URL_, { "content-type": "application/json" }, JSON.stringify(params));
    expect(await vonageWebhook.verify(json, noMethod)).toEqual({ ok: true });
    // Vonage signs the fields, not the bytes: the same fields re-serialized still verify.
    const again = request(
      "POST",
      URL_,
      { "content-type": "application/json" },
      reserialized(JSON.stringify(params)),
    );
    expect(await vonageWebhook.verify(again, noMethod)).toEqual({ ok: true });
  });

  it("refuses a tampered parameter, a wrong secret, another method's signature and a missing sig", async () => {
    const good = { ...PARAMS, sig: KATS.sha256 };
    expect(await vonageWebhook.verify(get({ ...good, text: "Test again!" }), vctx("sha256"))).toMatchObject({
      ok: false,
      reason: "signature does not match",
    });
    expect(await vonageWebhook.verify(get(good), vctx("sha256", AT, "other_secret"))).toMatchObject({
      ok: false,
    });
    expect(await vonageWebhook.verify(get(good), vctx("sha512"))).toMatchObject({ ok: false });
    expect(await vonageWebhook.verify(get(PARAMS), vctx("sha256"))).toMatchObject({
      ok: false,
      reason: "missing sig parameter",
    });
    expect(await vonageWebhook.verify(get(good), vctx("md5hash"))).toMatchObject({ ok: false });
    expect(await vonageWebhook.verify(get(good), vctx("md5"))).toMatchObject({ ok: false });
    expect(await vonageWebhook.verify(get(good), vctx("sha384"))).toMatchObject({
      ok: false,
      reason: "unknown signature method sha384",
    });
  });

  it("refuses a timestamp outside the 5-minute window either way", async () => {
    const good = get({ ...PARAMS, sig: KATS.sha256 });
    expect(await vonageWebhook.verify(good, vctx("sha256", AT + 299_000))).toEqual({ ok: true });
    expect(await vonageWebhook.verify(good, vctx("sha256", AT + 301_000))).toMatchObject({
      ok: false,
      reason: expect.stringContaining("too old"),
    });
    expect(await vonageWebhook.verify(good, vctx("sha256", AT - 301_000))).toMatchObject({
      ok: false,
      reason: expect.stringContaining("future"),
    });
  });

  it("fails closed without a signature secret", async () => {
    expect(await vonageWebhook.verify(get({ ...PARAMS, sig: KATS.sha256 }), ctx({}, AT))).toMatchObject({
      ok: false,
      missingSecret: true,
    });
  });
});
