/**
 * The credentials vault (src/crypto/vault.ts, src/crypto/keyring.ts): round trips, tampering,
 * ciphertexts bound to their row and tenant, no plaintext in D1, key ring errors (and the 503
 * they cause), ring rotation (direct, cron, operator API and queue consumer), organization key
 * rotation (direct, operator API, queue consumer and the real queue) and crypto-shredding.
 *
 * The D1 database is shared by the tests of this file, so the ring rotation runs last and ends
 * with every organization key wrapped by the test ring's key again.
 */
import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  getQueueResult,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromBase64, toBase64, toHex, utf8 } from "../src/crypto/encoding.ts";
import { KeyRingError, loadKeyRing } from "../src/crypto/keyring.ts";
import { forgetOrgKeys, Vault, VaultError } from "../src/crypto/vault.ts";
import { createDb } from "../src/db/client.ts";
import { type IntegrationRow, integrations, orgKeys } from "../src/db/schema.ts";
import worker from "../src/index.ts";
import { getProvider } from "../src/providers/registry.ts";
import type { Provider } from "../src/providers/types.ts";
import { createServices } from "../src/services/index.ts";
import type { WriteContext } from "../src/services/integrations.ts";
import { createVaultStore } from "../src/services/vault-store.ts";
import {
  ADMIN_TOKEN,
  BASE,
  type CallOptions,
  type CallResult,
  call,
  newIntegration,
  newOrg,
  stubQueue,
} from "./harness.ts";

// ---- helpers -------------------------------------------------------------------------------

/** The ring the tests run with (vitest.config.ts), e.g. `k1:<base64>`. */
const OLD_RING = env.ENCRYPTION_KEYS ?? "";
const [OLD_ID = "", OLD_KEY_B64 = ""] = (OLD_RING.split(",")[0] ?? "").split(":");
const NEW_ID = "k2";
const randomKeyB64 = (bytes = 32) => toBase64(crypto.getRandomValues(new Uint8Array(bytes)));
const NEW_KEY_B64 = randomKeyB64();
/** k2 first (current), k1 still there to unwrap. */
const ROTATED_RING = `${NEW_ID}:${NEW_KEY_B64},${OLD_RING}`;
const NEW_ONLY_RING = `${NEW_ID}:${NEW_KEY_B64}`;
/** k1 current again, k2 kept to unwrap: rotating back restores the test ring. */
const BACK_RING = `${OLD_RING},${NEW_ID}:${NEW_KEY_B64}`;

const SENDGRID = getProvider("sendgrid") as Provider;
const WRITE_CTX: WriteContext = { actor: "test", publicUrl: BASE, dialect: "rest" };

const db = () => createDb(env.DB);
const vaultWith = async (ring: string) => new Vault(createVaultStore(db()), await loadKeyRing(ring));
const services = (overrides: Partial<Env> = {}) =>
  createServices({ ...env, ...overrides } as Env, "req_test");

/** A request through the worker's fetch handler with a modified env (another ring, a stub queue). */
const callWith = (
  overrides: Partial<Env>,
  method: string,
  path: string,
  opts: CallOptions = {},
): Promise<CallResult> => call(method, path, { ...opts, env: overrides });

let msgSeq = 0;
/** Runs the worker's queue handler on one message; returns the ack/retry outcome. */
async function consume(body: unknown, overrides: Partial<Env>, queueName = "switchboard-jobs") {
  const id = `msg-${++msgSeq}`;
  const batch = createMessageBatch(queueName, [{ id, timestamp: new Date(), attempts: 1, body }]);
  const ctx = createExecutionContext();
  const queue: ExportedHandlerQueueHandler<Env> = worker.queue;
  await queue(batch, { ...env, ...overrides } as Env, ctx);
  const result = await getQueueResult(batch, ctx);
  return {
    acked: result.explicitAcks.includes(id) || result.ackAll,
    retried: result.retryMessages.some((m) => m.msgId === id),
  };
}

/** The raw D1 row of an integration, every column as stored. */
const rawIntegration = (id: string) =>
  env.DB.prepare("SELECT * FROM integrations WHERE id = ?").bind(id).first<Record<string, unknown>>();

const countWhere = async (table: string, where: string, ...binds: unknown[]) =>
  (
    await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${where}`)
      .bind(...binds)
      .first<{ n: number }>()
  )?.n ?? -1;

async function integrationRow(id: string): Promise<IntegrationRow> {
  const [row] = await db().select().from(integrations).where(eq(integrations.id, id)).limit(1);
  if (!row) throw new Error(`no integration ${id}`);
  return row;
}

/** Creates `n` sendgrid integrations with secrets through the service layer (fast; no HTTP). */
async function seedIntegrations(orgId: string, n: number, prefix: string) {
  const { integrations } = services();
  const secrets = new Map<string, Record<string, string>>();
  for (let i = 0; i < n; i++) {
    const apiKey = `SG.${prefix}-${i}-${crypto.randomUUID()}`;
    const row = await integrations.create(
      orgId,
      SENDGRID,
      { name: `${prefix} ${i}`, values: { api_key: apiKey, from_email: `n${i}@example.com` } },
      WRITE_CTX,
    );
    secrets.set(row.id, { api_key: apiKey });
  }
  return secrets;
}

/** Every integration in `expected` decrypts (under `vault`) to the secrets it maps to. */
async function expectAllDecrypt(vault: Vault, expected: Map<string, Record<string, string>>) {
  const rows = new Map((await db().select().from(integrations)).map((r) => [r.id, r]));
  for (const [id, secrets] of expected) {
    const row = rows.get(id);
    expect(row?.secrets, id).toEqual(expect.any(String));
    await expect(
      vault.decrypt(row?.orgId ?? "", id, row?.secrets ?? "", row?.keyVersion ?? -1),
      id,
    ).resolves.toEqual(secrets);
  }
}

/** Flips one byte in the IV, the ciphertext body or the tag of `v1.<iv>.<ct+tag>`. */
function tamper(blob: string, part: "iv" | "ciphertext" | "tag"): string {
  const [v, ivB64 = "", ctB64 = ""] = blob.split(".");
  const iv = fromBase64(ivB64);
  const ct = fromBase64(ctB64);
  if (part === "iv") iv[3] = (iv[3] ?? 0) ^ 0x01;
  else if (part === "ciphertext") ct[0] = (ct[0] ?? 0) ^ 0x01;
  else ct[ct.length - 1] = (ct[ct.length - 1] ?? 0) ^ 0x80;
  return `${v}.${toBase64(iv)}.${toBase64(ct)}`;
}

/** Decrypts `v1.<iv>.<ct>` with a raw AES key and AAD, as an independent check of the format. */
async function rawDecrypt(rawKey: Uint8Array<ArrayBuffer>, blob: string, aad: string) {
  const [, ivB64 = "", ctB64 = ""] = blob.split(".");
  const key = await crypto.subtle.importKey("raw", rawKey, "AES-GCM", false, ["decrypt"]);
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: fromBase64(ivB64), additionalData: utf8(aad) },
    key,
    fromBase64(ctB64),
  );
  return new Uint8Array(plain);
}

// ---- round trips ---------------------------------------------------------------------------

describe("vault: encrypt / decrypt", () => {
  let orgId: string;
  let vault: Vault;
  beforeAll(async () => {
    orgId = (await newOrg("Vault round trips")).orgId;
    vault = await vaultWith(OLD_RING);
  });

  const roundTrip = async (secrets: Record<string, string>) => {
    const id = crypto.randomUUID();
    const { ciphertext, keyVersion } = await vault.encrypt(orgId, id, secrets);
    return { ciphertext, keyVersion, back: await vault.decrypt(orgId, id, ciphertext, keyVersion) };
  };

  it("round-trips an empty string value", async () => {
    const { back, keyVersion } = await roundTrip({ api_key: "", other: "x" });
    expect(back).toEqual({ api_key: "", other: "x" });
    expect(keyVersion).toBe(1);
  });

  it("round-trips unicode: emoji, CJK, right-to-left and non-ASCII keys", async () => {
    const secrets = {
      emoji: "🔑🚀👩🏽‍💻🇲🇾",
      cjk: "秘密の鍵・密钥・비밀 열쇠",
      rtl: "مفتاح سري — סוד כמוס",
      ключ: "значение\u0000\n\t\"'\\",
    };
    expect((await roundTrip(secrets)).back).toEqual(secrets);
  });

  it("round-trips a 100 KB value", async () => {
    const big = Array.from({ length: 100 * 1024 }, (_, i) => String.fromCharCode(33 + ((i * 7) % 90))).join(
      "",
    );
    const { back, ciphertext } = await roundTrip({ private_key: big });
    expect(back.private_key).toBe(big);
    expect(ciphertext.length).toBeGreaterThan(100 * 1024);
  });

  it("has the form v1.<12-byte iv>.<ciphertext + 16-byte tag>", async () => {
    const secrets = { api_key: "SG.format-check" };
    const { ciphertext } = await roundTrip(secrets);
    const [v, iv = "", ct = "", extra] = ciphertext.split(".");
    expect(v).toBe("v1");
    expect(extra).toBeUndefined();
    expect(fromBase64(iv).length).toBe(12);
    expect(fromBase64(ct).length).toBe(utf8(JSON.stringify(secrets)).length + 16);
  });

  it("never contains the plaintext, as text or as bytes", async () => {
    const secret = "SG.plaintext-must-not-appear-0123456789";
    const { ciphertext } = await roundTrip({ api_key: secret });
    expect(ciphertext).not.toContain(secret);
    expect(ciphertext).not.toContain(toBase64(utf8(secret)).slice(0, 20));
    const bytes = toHex(fromBase64(ciphertext.split(".")[2] ?? ""));
    expect(bytes).not.toContain(toHex(utf8(secret)));
    expect(bytes).not.toContain(toHex(utf8("api_key")));
  });

  it("gives a different ciphertext (fresh IV) for the same secrets each time", async () => {
    const id = crypto.randomUUID();
    const a = await vault.encrypt(orgId, id, { api_key: "same" });
    const b = await vault.encrypt(orgId, id, { api_key: "same" });
    expect(a.ciphertext).not.toBe(b.ciphertext);
    expect(a.ciphertext.split(".")[1]).not.toBe(b.ciphertext.split(".")[1]);
    await expect(vault.decrypt(orgId, id, a.ciphertext, a.keyVersion)).resolves.toEqual({ api_key: "same" });
    await expect(vault.decrypt(orgId, id, b.ciphertext, b.keyVersion)).resolves.toEqual({ api_key: "same" });
  });

  it("rejects a key version the organization does not have", async () => {
    const id = crypto.randomUUID();
    const { ciphertext } = await vault.encrypt(orgId, id, { api_key: "v" });
    await expect(vault.decrypt(orgId, id, ciphertext, 7)).rejects.toThrow(VaultError);
  });
});

// ---- tampering -----------------------------------------------------------------------------

describe("vault: tampered and malformed ciphertexts", () => {
  let orgId: string;
  let vault: Vault;
  const id = crypto.randomUUID();
  let blob: string;
  beforeAll(async () => {
    orgId = (await newOrg("Vault tampering")).orgId;
    vault = await vaultWith(OLD_RING);
    blob = (await vault.encrypt(orgId, id, { api_key: "SG.tamper-me" })).ciphertext;
  });

  it("decrypts the untouched ciphertext", async () => {
    await expect(vault.decrypt(orgId, id, blob, 1)).resolves.toEqual({ api_key: "SG.tamper-me" });
  });

  it.each(["iv", "ciphertext", "tag"] as const)("rejects a flipped byte in the %s", async (part) => {
    const bad = tamper(blob, part);
    expect(bad).not.toBe(blob);
    await expect(vault.decrypt(orgId, id, bad, 1)).rejects.toThrow(VaultError);
    await expect(vault.decrypt(orgId, id, bad, 1)).rejects.toThrow(/does not authenticate/);
  });

  it("rejects a truncated tag", async () => {
    const [v, iv, ct = ""] = blob.split(".");
    const short = toBase64(fromBase64(ct).slice(0, -4));
    await expect(vault.decrypt(orgId, id, `${v}.${iv}.${short}`, 1)).rejects.toThrow(VaultError);
  });

  it.each([
    ["empty", () => ""],
    ["no parts", () => "v1"],
    ["unknown version", () => blob.replace(/^v1\./, "v2.")],
    ["missing ciphertext", () => blob.split(".").slice(0, 2).join(".")],
    ["an extra part", () => `${blob}.AAAA`],
    ["bad base64 IV", () => blob.replace(/^v1\.[^.]+\./, "v1.!!!notbase64!!!.")],
    ["bad base64 ciphertext", () => `${blob.split(".").slice(0, 2).join(".")}.%%%%`],
    ["an 8-byte IV", () => blob.replace(/^v1\.[^.]+\./, `v1.${toBase64(new Uint8Array(8))}.`)],
    ["plain JSON", () => JSON.stringify({ api_key: "x" })],
  ])("rejects a malformed blob (%s)", async (_label, make) => {
    await expect(vault.decrypt(orgId, id, make(), 1)).rejects.toThrow(VaultError);
    await expect(vault.decrypt(orgId, id, make(), 1)).rejects.toThrow(/malformed ciphertext/);
  });
});

// ---- ciphertexts are bound to their row and tenant ------------------------------------------

describe("vault: a ciphertext moved to another row or organization does not decrypt", () => {
  let orgA: Awaited<ReturnType<typeof newOrg>>;
  let orgB: Awaited<ReturnType<typeof newOrg>>;
  let a1: { id: string };
  let a2: { id: string };
  let b1: { id: string };
  beforeAll(async () => {
    orgA = await newOrg("Moved A");
    orgB = await newOrg("Moved B");
    const body = (name: string, key: string) => ({
      provider: "sendgrid",
      name,
      api_key: key,
      from_email: "a@example.com",
    });
    a1 = await newIntegration(orgA, body("A one", "SG.a-one-secret"));
    a2 = await newIntegration(orgA, body("A two", "SG.a-two-secret"));
    b1 = await newIntegration(orgB, body("B one", "SG.b-one-secret"));
  });

  /** Copies the `secrets` + `key_version` columns of one integration onto another, in D1. */
  const copySecrets = (from: string, to: string) =>
    env.DB.prepare(
      "UPDATE integrations SET secrets = (SELECT secrets FROM integrations WHERE id = ?1), key_version = (SELECT key_version FROM integrations WHERE id = ?1) WHERE id = ?2",
    )
      .bind(from, to)
      .run();

  it("each row decrypts in place", async () => {
    const { integrations } = services();
    await expect(integrations.secretsOf(await integrationRow(a1.id))).resolves.toEqual({
      api_key: "SG.a-one-secret",
    });
    await expect(integrations.secretsOf(await integrationRow(b1.id))).resolves.toEqual({
      api_key: "SG.b-one-secret",
    });
  });

  it("vault.decrypt with another integration id or another organization id fails", async () => {
    const vault = await vaultWith(OLD_RING);
    const row = await integrationRow(a1.id);
    const ct = row.secrets ?? "";
    await expect(vault.decrypt(orgA.orgId, a2.id, ct, 1)).rejects.toThrow(VaultError);
    await expect(vault.decrypt(orgB.orgId, a1.id, ct, 1)).rejects.toThrow(VaultError);
    await expect(vault.decrypt(orgB.orgId, b1.id, ct, 1)).rejects.toThrow(VaultError);
  });

  it("copied onto another integration of the same organization, it fails to decrypt there", async () => {
    await copySecrets(a1.id, a2.id);
    const moved = await integrationRow(a2.id);
    expect(moved.secrets).toBe((await integrationRow(a1.id)).secrets);
    await expect(services().integrations.secretsOf(moved)).rejects.toThrow(VaultError);
  });

  it("copied onto another organization's integration, it fails to decrypt there", async () => {
    await copySecrets(a1.id, b1.id);
    const moved = await integrationRow(b1.id);
    expect(moved.orgId).toBe(orgB.orgId);
    await expect(services().integrations.secretsOf(moved)).rejects.toThrow(VaultError);
  });

  it("the original row still decrypts after its ciphertext was copied elsewhere", async () => {
    await expect(services().integrations.secretsOf(await integrationRow(a1.id))).resolves.toEqual({
      api_key: "SG.a-one-secret",
    });
  });

  // The rows now hold ciphertexts that do not decrypt; later tests walk every row.
  afterAll(async () => {
    for (const org of [orgA, orgB]) {
      expect((await call("DELETE", `/admin/organizations/${org.orgId}`, { key: ADMIN_TOKEN })).status).toBe(
        200,
      );
    }
  });
});

// ---- D1 never holds plaintext --------------------------------------------------------------

describe("vault: D1 rows hold no plaintext", () => {
  const SECRET = "SG.d1-plaintext-canary-8c1f0b2e9d";
  let org: Awaited<ReturnType<typeof newOrg>>;
  let integrationId: string;
  beforeAll(async () => {
    org = await newOrg("No plaintext");
    const r = await call("POST", "/api/integrations", {
      key: org.adminKey,
      body: { provider: "sendgrid", name: "Canary", api_key: SECRET, from_email: "c@example.com" },
    });
    expect(r.status).toBe(201);
    expect(r.text).not.toContain(SECRET);
    integrationId = r.json.integration.id;
  });

  it("the integration row has the secret in no column", async () => {
    const row = await rawIntegration(integrationId);
    expect(row).not.toBeNull();
    expect(row?.secrets).toMatch(/^v1\./);
    for (const [column, value] of Object.entries(row ?? {})) {
      expect(String(value), `column ${column}`).not.toContain(SECRET);
    }
    expect(JSON.parse(String(row?.secret_fields))).toEqual(["api_key"]);
  });

  it("no log, audit or key row holds the secret", async () => {
    for (const table of ["integration_logs", "audit_logs", "org_keys", "api_keys", "organizations"]) {
      const { results } = await env.DB.prepare(`SELECT * FROM ${table}`).all<Record<string, unknown>>();
      for (const row of results) expect(JSON.stringify(row), table).not.toContain(SECRET);
    }
  });

  it("the stored ciphertext decrypts to the secret through the service", async () => {
    await expect(services().integrations.secretsOf(await integrationRow(integrationId))).resolves.toEqual({
      api_key: SECRET,
    });
  });

  it("org_keys.wrapped_key is the data key wrapped by the ring key, not the raw key", async () => {
    const keyRow = await env.DB.prepare("SELECT * FROM org_keys WHERE org_id = ?")
      .bind(org.orgId)
      .first<{ wrapped_key: string; ring_key_id: string; version: number }>();
    expect(keyRow?.ring_key_id).toBe(OLD_ID);
    const wrapped = keyRow?.wrapped_key ?? "";
    expect(wrapped).toMatch(/^v1\.[^.]+\.[^.]+$/);
    // Unwrap independently with the ring key: 32 raw bytes, which appear nowhere in the row.
    const raw = await rawDecrypt(fromBase64(OLD_KEY_B64), wrapped, `switchboard:org-key:${org.orgId}:v1`);
    expect(raw.length).toBe(32);
    expect(wrapped).not.toContain(toBase64(raw));
    expect(wrapped).not.toContain(toBase64(raw).slice(0, 16));
    expect(toHex(fromBase64(wrapped.split(".")[2] ?? ""))).not.toContain(toHex(raw));
    // And it really is the key of the organization's secrets.
    const row = await rawIntegration(integrationId);
    const plain = await rawDecrypt(
      raw,
      String(row?.secrets),
      `switchboard:secrets:${org.orgId}:${integrationId}:v1`,
    );
    expect(JSON.parse(new TextDecoder().decode(plain))).toEqual({ api_key: SECRET });
  });
});

// ---- key ring ------------------------------------------------------------------------------

describe("key ring: ENCRYPTION_KEYS parsing", () => {
  const key32 = randomKeyB64(32);
  it.each([
    ["missing", undefined, /ENCRYPTION_KEYS is not set/],
    ["empty", "", /ENCRYPTION_KEYS is not set/],
    ["blank", "   ", /ENCRYPTION_KEYS is not set/],
    ["garbage", "garbage", /entry 1 is malformed: expected `id:base64key`/],
    ["no id", `:${key32}`, /entry 1 is malformed/],
    ["a bad id", `bad id!:${key32}`, /entry 1 is malformed/],
    ["an empty second entry", `k1:${key32},`, /entry 2 is malformed/],
    ["bad base64", "k1:***not-base64***", /key "k1" is not valid base64/],
    ["a 16-byte key", `k1:${randomKeyB64(16)}`, /key "k1" must be 32 bytes, got 16/],
    ["a 64-byte key", `k1:${randomKeyB64(64)}`, /key "k1" must be 32 bytes, got 64/],
    ["a duplicate id", `k1:${key32},k1:${randomKeyB64()}`, /lists key id "k1" twice/],
  ])("throws KeyRingError for %s", async (_label, raw, message) => {
    await expect(loadKeyRing(raw)).rejects.toThrow(KeyRingError);
    await expect(loadKeyRing(raw)).rejects.toThrow(message);
  });

  it("loads a valid ring with the first entry current and every entry available", async () => {
    const ring = await loadKeyRing(` k2:${key32} , k1:${randomKeyB64()} `);
    expect(ring.current.id).toBe("k2");
    expect(ring.ids).toEqual(["k2", "k1"]);
    expect([...ring.byId.keys()]).toEqual(["k2", "k1"]);
  });

  it("services.vault() fails with the KeyRingError when the ring is broken", async () => {
    await expect(services({ ENCRYPTION_KEYS: "garbage" }).vault()).rejects.toThrow(KeyRingError);
  });

  it("the service layer writes no integration when the ring is broken", async () => {
    const { orgId } = await newOrg("Broken ring service");
    const broken = services({ ENCRYPTION_KEYS: "garbage" });
    await expect(
      broken.integrations.create(
        orgId,
        SENDGRID,
        { name: "Never written", values: { api_key: "SG.never", from_email: "n@example.com" } },
        WRITE_CTX,
      ),
    ).rejects.toThrow(KeyRingError);
    expect(await countWhere("integrations", "org_id = ?", orgId)).toBe(0);
    expect(await countWhere("audit_logs", "org_id = ? AND action = 'integration.created'", orgId)).toBe(0);
  });
});

describe("key ring: HTTP requests that need the vault answer 503 when the ring is broken", () => {
  let org: Awaited<ReturnType<typeof newOrg>>;
  let existingId: string;
  beforeAll(async () => {
    org = await newOrg("Broken ring HTTP");
    existingId = (
      await newIntegration(org, {
        provider: "sendgrid",
        name: "Existing",
        api_key: "SG.existing",
        from_email: "e@example.com",
      })
    ).id;
  });

  it.each([
    ["garbage", "garbage", /vault unavailable: ENCRYPTION_KEYS entry 1 is malformed/],
    ["missing", undefined, /vault unavailable: ENCRYPTION_KEYS is not set/],
    ["a 16-byte key", `k1:${randomKeyB64(16)}`, /must be 32 bytes/],
  ])("REST create with a secret and a %s ring: 503 JSON, nothing written", async (_label, ring, message) => {
    const before = await countWhere("integrations", "org_id = ?", org.orgId);
    const r = await callWith({ ENCRYPTION_KEYS: ring }, "POST", "/api/integrations", {
      key: org.adminKey,
      body: {
        provider: "sendgrid",
        name: "Not stored",
        api_key: "SG.not-stored",
        from_email: "x@example.com",
      },
    });
    expect(r.status).toBe(503);
    expect(r.headers.get("content-type")).toMatch(/application\/json/);
    expect(r.json).toMatchObject({ code: "NOT_CONFIGURED", request_id: expect.any(String) });
    expect(r.json.error).toMatch(message);
    expect(r.text).not.toContain("SG.not-stored");
    expect(await countWhere("integrations", "org_id = ?", org.orgId)).toBe(before);
    expect(await countWhere("integrations", "name = 'Not stored'")).toBe(0);
  });

  it("001 create with a secret: 503, nothing written", async () => {
    const r = await callWith({ ENCRYPTION_KEYS: "garbage" }, "POST", "/create-organization-integration", {
      key: org.adminKey,
      body: { org_id: org.orgId, integration_type: "facebook", name: "Page 503", access_token: "EAA-503" },
    });
    expect(r.status).toBe(503);
    expect(r.json.code).toBe("NOT_CONFIGURED");
    expect(await countWhere("integrations", "name = 'Page 503'")).toBe(0);
  });

  it("updating a secret: 503, the stored ciphertext is unchanged", async () => {
    const before = await rawIntegration(existingId);
    const r = await callWith({ ENCRYPTION_KEYS: "garbage" }, "PATCH", `/api/integrations/${existingId}`, {
      key: org.adminKey,
      body: { api_key: "SG.replacement" },
    });
    expect(r.status).toBe(503);
    expect(await rawIntegration(existingId)).toEqual(before);
  });

  it("creating an organization (needs a data key): 503, no organization written", async () => {
    const r = await callWith({ ENCRYPTION_KEYS: "garbage" }, "POST", "/admin/organizations", {
      key: ADMIN_TOKEN,
      body: { name: "Org without key", slug: "org-without-key" },
    });
    expect(r.status).toBe(503);
    expect(r.json.code).toBe("NOT_CONFIGURED");
    expect(await countWhere("organizations", "slug = 'org-without-key'")).toBe(0);
  });

  it("a read that needs no vault still works", async () => {
    const r = await callWith({ ENCRYPTION_KEYS: "garbage" }, "GET", `/api/integrations/${existingId}`, {
      key: org.adminKey,
    });
    expect(r.status).toBe(200);
    expect(r.json.integration.secrets).toEqual({ api_key: "••••••" });
  });
});

// ---- organization key rotation ---------------------------------------------------------------

describe("organization key rotation", () => {
  const N = 120;
  let orgId: string;
  let expected: Map<string, Record<string, string>>;
  let vault: Vault;
  let rotationId: string;
  beforeAll(async () => {
    orgId = (await newOrg("Rotating org")).orgId;
    expected = await seedIntegrations(orgId, N, "rot");
    vault = await vaultWith(OLD_RING);
  }, 60_000);

  it("every secret is under key version 1 before the rotation", async () => {
    expect(await countWhere("integrations", "org_id = ? AND key_version = 1", orgId)).toBe(N);
    await expectAllDecrypt(vault, expected);
  });

  it("startOrgKeyRotation makes version 2 current and reports the work to do", async () => {
    const rot = await vault.startOrgKeyRotation(orgId);
    rotationId = rot.id;
    expect(rot).toMatchObject({
      orgId,
      fromVersion: 1,
      toVersion: 2,
      status: "running",
      rowsTotal: N,
      rowsDone: 0,
      remaining: N,
      completedAt: null,
    });
    expect(await countWhere("org_keys", "org_id = ?", orgId)).toBe(2);
    const org = await env.DB.prepare("SELECT current_key_version AS v FROM organizations WHERE id = ?")
      .bind(orgId)
      .first<{ v: number }>();
    expect(org?.v).toBe(2);
  });

  it("starting again while it runs returns the same rotation", async () => {
    const again = await vault.startOrgKeyRotation(orgId);
    expect(again.id).toBe(rotationId);
    expect(await countWhere("org_keys", "org_id = ?", orgId)).toBe(2);
  });

  it("a secret written mid-rotation uses the new key version", async () => {
    const more = await seedIntegrations(orgId, 1, "mid");
    const [id] = [...more.keys()];
    expect((await integrationRow(id ?? "")).keyVersion).toBe(2);
    for (const [k, v] of more) expected.set(k, v);
    expect((await vault.rotationStatus(rotationId, orgId)).remaining).toBe(N);
  });

  it("reencryptBatch in steps of 50 progresses, every secret decrypting after each step", async () => {
    const progress: [number, number, string][] = [];
    for (let step = 0; step < 6; step++) {
      const s = await vault.reencryptBatch(orgId, rotationId, 50);
      progress.push([s.rowsDone, s.remaining, s.status]);
      await expectAllDecrypt(vault, expected);
      expect(await countWhere("integrations", "org_id = ? AND key_version = 1", orgId)).toBe(s.remaining);
      if (s.status === "completed") break;
    }
    expect(progress.slice(0, 3).map(([done, remaining]) => [done, remaining])).toEqual([
      [50, 70],
      [100, 20],
      [120, 0],
    ]);
    expect(progress.at(-1)).toEqual([N, 0, "completed"]);
    expect(progress.length).toBeLessThanOrEqual(4);
  }, 60_000);

  it("at the end: completed, no row under the old version, the old org key row is gone", async () => {
    const s = await vault.rotationStatus(rotationId, orgId);
    expect(s).toMatchObject({ status: "completed", rowsTotal: N, rowsDone: N, remaining: 0 });
    expect(s.completedAt).toEqual(expect.any(String));
    expect(await countWhere("integrations", "org_id = ? AND key_version <> 2", orgId)).toBe(0);
    const { results } = await env.DB.prepare("SELECT version FROM org_keys WHERE org_id = ?")
      .bind(orgId)
      .all<{ version: number }>();
    expect(results.map((r) => r.version)).toEqual([2]);
  });

  it("after completion every secret decrypts with a cold key cache", async () => {
    forgetOrgKeys(orgId);
    await expectAllDecrypt(await vaultWith(OLD_RING), expected);
  });

  it("a copy of a pre-rotation ciphertext no longer decrypts (its key version is retired)", async () => {
    const id = crypto.randomUUID();
    const fresh = await vault.encrypt(orgId, id, { api_key: "v2" });
    expect(fresh.keyVersion).toBe(2);
    await expect(vault.decrypt(orgId, id, fresh.ciphertext, 1)).rejects.toThrow(VaultError);
  });

  it("reencryptBatch on a completed rotation changes nothing", async () => {
    const before = await env.DB.prepare("SELECT id, secrets FROM integrations WHERE org_id = ? ORDER BY id")
      .bind(orgId)
      .all();
    const s = await vault.reencryptBatch(orgId, rotationId, 50);
    expect(s.status).toBe("completed");
    const after = await env.DB.prepare("SELECT id, secrets FROM integrations WHERE org_id = ? ORDER BY id")
      .bind(orgId)
      .all();
    expect(after.results).toEqual(before.results);
  });

  it("a rotation id of another organization is not found", async () => {
    const other = (await newOrg("Other rotation org")).orgId;
    await expect(vault.rotationStatus(rotationId, other)).rejects.toThrow(VaultError);
    await expect(vault.reencryptBatch(other, rotationId, 50)).rejects.toThrow(VaultError);
  });
});

describe("organization key rotation through the operator API and the queue consumer", () => {
  const N = 60;
  let orgId: string;
  let expected: Map<string, Record<string, string>>;
  const jobs = stubQueue();
  let rotation: { id: string };

  beforeAll(async () => {
    orgId = (await newOrg("Rotating via API")).orgId;
    expected = await seedIntegrations(orgId, N, "api");
  }, 60_000);

  it("GET key-rotation answers null before any rotation", async () => {
    const r = await call("GET", `/admin/organizations/${orgId}/key-rotation`, { key: ADMIN_TOKEN });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ rotation: null });
  });

  it("POST rotate-key answers 202 with progress and enqueues one re-encrypt job", async () => {
    const r = await callWith({ JOBS: jobs.queue }, "POST", `/admin/organizations/${orgId}/rotate-key`, {
      key: ADMIN_TOKEN,
    });
    expect(r.status).toBe(202);
    expect(r.json.rotation).toMatchObject({
      org_id: orgId,
      from_version: 1,
      to_version: 2,
      status: "running",
      rows_total: N,
      rows_done: 0,
      remaining: N,
      completed_at: null,
    });
    rotation = r.json.rotation;
    expect(jobs.sent).toEqual([{ type: "vault.reencrypt", orgId, rotationId: rotation.id }]);
  });

  it("GET key-rotation shows the running rotation", async () => {
    const r = await call("GET", `/admin/organizations/${orgId}/key-rotation`, { key: ADMIN_TOKEN });
    expect(r.status).toBe(200);
    expect(r.json.rotation).toMatchObject({ id: rotation.id, status: "running", rows_done: 0, remaining: N });
  });

  it("POST rotate-key while it runs returns the same rotation", async () => {
    const again = stubQueue();
    const r = await callWith({ JOBS: again.queue }, "POST", `/admin/organizations/${orgId}/rotate-key`, {
      key: ADMIN_TOKEN,
    });
    expect(r.status).toBe(202);
    expect(r.json.rotation.id).toBe(rotation.id);
    expect(await countWhere("org_keys", "org_id = ?", orgId)).toBe(2);
  });

  it("the consumer acks each job, re-encrypts a batch, and enqueues the next until done", async () => {
    const vault = await vaultWith(OLD_RING);
    const seen: [number, number, string][] = [];
    let message: unknown = jobs.sent[0];
    for (let step = 0; message && step < 5; step++) {
      const next = stubQueue();
      const outcome = await consume(message, { JOBS: next.queue });
      expect(outcome).toEqual({ acked: true, retried: false });
      const r = await call("GET", `/admin/organizations/${orgId}/key-rotation`, { key: ADMIN_TOKEN });
      seen.push([r.json.rotation.rows_done, r.json.rotation.remaining, r.json.rotation.status]);
      await expectAllDecrypt(vault, expected);
      message = next.sent[0];
      if (r.json.rotation.status === "running") expect(next.sent).toEqual([message]);
      else expect(next.sent).toEqual([]);
    }
    expect(seen[0]).toEqual([50, 10, "running"]);
    expect(seen.at(-1)).toEqual([N, 0, "completed"]);
    expect(await countWhere("integrations", "org_id = ? AND key_version <> 2", orgId)).toBe(0);
    expect(await countWhere("org_keys", "org_id = ? AND version = 1", orgId)).toBe(0);
  }, 60_000);

  it("each rotate-key request is recorded in the organization's audit log", async () => {
    const { results } = await env.DB.prepare(
      "SELECT actor, details FROM audit_logs WHERE org_id = ? AND action = 'org_key.rotation_started'",
    )
      .bind(orgId)
      .all<{ actor: string; details: string }>();
    // Two requests so far: the start, and the repeat that returned the running rotation.
    expect(results).toHaveLength(2);
    for (const r of results) {
      expect(r.actor).toBe("operator");
      expect(JSON.parse(r.details)).toEqual({ to_version: 2 });
    }
  });

  it("a re-encrypt job for an unknown rotation is retried, not acked", async () => {
    const outcome = await consume(
      { type: "vault.reencrypt", orgId, rotationId: "rot_does_not_exist" },
      { JOBS: stubQueue().queue },
    );
    expect(outcome).toEqual({ acked: false, retried: true });
  });

  it("rotate-key of an unknown organization is a 404", async () => {
    const r = await callWith({ JOBS: stubQueue().queue }, "POST", `/admin/organizations/nope/rotate-key`, {
      key: ADMIN_TOKEN,
    });
    expect(r.status).toBe(404);
  });

  it("the real queue completes a rotation started through the API", async () => {
    const r = await call("POST", `/admin/organizations/${orgId}/rotate-key`, { key: ADMIN_TOKEN });
    expect(r.status).toBe(202);
    expect(r.json.rotation).toMatchObject({ from_version: 2, to_version: 3, rows_total: N });
    let status = r.json.rotation;
    for (let i = 0; i < 100 && status.status !== "completed"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      status = (await call("GET", `/admin/organizations/${orgId}/key-rotation`, { key: ADMIN_TOKEN })).json
        .rotation;
    }
    expect(status).toMatchObject({ id: r.json.rotation.id, status: "completed", rows_done: N, remaining: 0 });
    expect(await countWhere("integrations", "org_id = ? AND key_version <> 3", orgId)).toBe(0);
    await expectAllDecrypt(await vaultWith(OLD_RING), expected);
  }, 30_000);
});

describe("organization key rotation: concurrent rotate-key requests", () => {
  let orgId: string;
  let responses: CallResult[];
  beforeAll(async () => {
    orgId = (await newOrg("Rotating twice at once")).orgId;
    await seedIntegrations(orgId, 3, "twice");
    responses = await Promise.all(
      [1, 2, 3].map(() =>
        callWith({ JOBS: stubQueue().queue }, "POST", `/admin/organizations/${orgId}/rotate-key`, {
          key: ADMIN_TOKEN,
        }),
      ),
    );
  });

  it("all answer 202 with the one running rotation", () => {
    expect(responses.map((r) => r.status)).toEqual([202, 202, 202]);
    expect(new Set(responses.map((r) => r.json?.rotation?.id)).size).toBe(1);
  });

  it("leave exactly one running rotation and one new key version", async () => {
    expect(responses.some((r) => r.status === 202)).toBe(true);
    expect(await countWhere("key_rotations", "org_id = ?", orgId)).toBe(1);
    expect(await countWhere("org_keys", "org_id = ?", orgId)).toBe(2);
  });
});

// ---- crypto-shredding ----------------------------------------------------------------------

describe("crypto-shredding: deleting an organization destroys its data key", () => {
  let org: Awaited<ReturnType<typeof newOrg>>;
  let integrationId: string;
  let copy: { secrets: string; keyVersion: number };
  let vault: Vault;
  beforeAll(async () => {
    org = await newOrg("Shredded");
    integrationId = (
      await newIntegration(org, {
        provider: "sendgrid",
        name: "Doomed",
        api_key: "SG.shred-me",
        from_email: "d@example.com",
      })
    ).id;
    const row = await integrationRow(integrationId);
    copy = { secrets: row.secrets ?? "", keyVersion: row.keyVersion ?? -1 };
    vault = await vaultWith(OLD_RING);
  });

  it("the copy decrypts while the organization exists (and its key is now cached)", async () => {
    await expect(vault.decrypt(org.orgId, integrationId, copy.secrets, copy.keyVersion)).resolves.toEqual({
      api_key: "SG.shred-me",
    });
  });

  it("DELETE /admin/organizations/{id} answers 200", async () => {
    const r = await call("DELETE", `/admin/organizations/${org.orgId}`, { key: ADMIN_TOKEN });
    expect(r.status).toBe(200);
    expect(r.json.message).toMatch(/data key is destroyed/);
  });

  it("the kept copy no longer decrypts, even with the same vault in the same isolate", async () => {
    await expect(vault.decrypt(org.orgId, integrationId, copy.secrets, copy.keyVersion)).rejects.toThrow(
      VaultError,
    );
    await expect(
      (await vaultWith(OLD_RING)).decrypt(org.orgId, integrationId, copy.secrets, copy.keyVersion),
    ).rejects.toThrow(/no data key/);
  });

  it.each(["organizations", "org_keys", "integrations", "api_keys", "integration_logs", "key_rotations"])(
    "the organization's %s rows are gone",
    async (table) => {
      const column = table === "organizations" ? "id" : "org_id";
      expect(await countWhere(table, `${column} = ?`, org.orgId)).toBe(0);
    },
  );

  it("the deletion is audited and the organization's API key no longer works", async () => {
    expect(
      await countWhere("audit_logs", "action = 'organization.deleted' AND target_id = ?", org.orgId),
    ).toBe(1);
    const r = await call("GET", "/api/integrations", { key: org.adminKey });
    expect(r.status).toBe(401);
  });
});

// ---- ring rotation (last: it re-wraps every organization key in this file's database) -------

describe("ring rotation", () => {
  let total: number;
  let orgIds: string[];
  /** Every integration with secrets in the database, and its plaintext. */
  const expected = new Map<string, Record<string, string>>();

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) {
      const { orgId } = await newOrg(`Ring org ${i}`);
      await seedIntegrations(orgId, 2, `ring${i}`);
    }
    const old = await vaultWith(OLD_RING);
    const rows = await db().select().from(integrations);
    for (const row of rows) {
      if (row.secrets && row.keyVersion !== null) {
        expected.set(row.id, await old.decrypt(row.orgId, row.id, row.secrets, row.keyVersion));
      }
    }
    orgIds = (await db().select().from(orgKeys)).map((k) => k.orgId);
    total = orgIds.length;
  });

  const forgetAll = () => {
    for (const id of orgIds) forgetOrgKeys(id);
  };

  it("starts with every organization key wrapped by the test ring's key", async () => {
    expect(total).toBeGreaterThanOrEqual(3);
    expect(expected.size).toBeGreaterThanOrEqual(6);
    expect(await (await vaultWith(OLD_RING)).ringStatus()).toMatchObject({
      current: OLD_ID,
      orgKeysByRingKey: { [OLD_ID]: total },
      pending: 0,
    });
  });

  it("with k2 added first, every key is pending and every secret still decrypts before any re-wrap", async () => {
    forgetAll();
    const vault = await vaultWith(ROTATED_RING);
    expect(await vault.ringStatus()).toEqual({
      current: NEW_ID,
      loaded: [NEW_ID, OLD_ID],
      orgKeysByRingKey: { [OLD_ID]: total },
      pending: total,
    });
    await expectAllDecrypt(vault, expected);
  });

  it("new organization keys are wrapped by the new current ring key", async () => {
    const vault = await vaultWith(ROTATED_RING);
    const row = await vault.newOrgKey(crypto.randomUUID());
    expect(row.ringKeyId).toBe(NEW_ID);
  });

  it("the cron enqueues a re-wrap job while keys are pending", async () => {
    const jobs = stubQueue();
    const ctx = createExecutionContext();
    const scheduled: ExportedHandlerScheduledHandler<Env> = worker.scheduled;
    await scheduled(
      createScheduledController({ cron: "*/5 * * * *" }),
      { ...env, ENCRYPTION_KEYS: ROTATED_RING, JOBS: jobs.queue } as Env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(jobs.sent).toEqual([{ type: "vault.rewrap" }]);
  });

  it("GET /admin/keys reports the pending keys under the new ring", async () => {
    const r = await callWith({ ENCRYPTION_KEYS: ROTATED_RING }, "GET", "/admin/keys", { key: ADMIN_TOKEN });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      current: NEW_ID,
      loaded: [NEW_ID, OLD_ID],
      org_keys_by_ring_key: { [OLD_ID]: total },
      pending: total,
    });
    expect(r.text).not.toContain(NEW_KEY_B64);
    expect(r.text).not.toContain(OLD_KEY_B64);
  });

  it("rewrapBatch with a small limit moves a few keys at a time; every secret decrypts mid-way", async () => {
    const vault = await vaultWith(ROTATED_RING);
    let pending = total;
    let steps = 0;
    while (pending > 0 && steps < total + 1) {
      const r = await vault.rewrapBatch(2);
      steps++;
      expect(r.rewrapped).toBe(Math.min(2, pending));
      expect(r.remaining).toBe(pending - r.rewrapped);
      pending = r.remaining;
      const status = await vault.ringStatus();
      expect(status.pending).toBe(pending);
      expect(status.orgKeysByRingKey[NEW_ID]).toBe(total - pending);
      expect(status.orgKeysByRingKey[OLD_ID] ?? 0).toBe(pending);
      forgetAll();
      await expectAllDecrypt(vault, expected);
    }
    expect(steps).toBe(Math.ceil(total / 2));
  }, 120_000);

  it("at the end nothing is wrapped by k1", async () => {
    const vault = await vaultWith(ROTATED_RING);
    expect(await vault.ringStatus()).toMatchObject({ orgKeysByRingKey: { [NEW_ID]: total }, pending: 0 });
    expect(await countWhere("org_keys", "ring_key_id = ?", OLD_ID)).toBe(0);
    expect(await vault.rewrapBatch(2)).toEqual({ rewrapped: 0, remaining: 0 });
  });

  it("a vault with ring k2 alone decrypts everything", async () => {
    forgetAll();
    await expectAllDecrypt(await vaultWith(NEW_ONLY_RING), expected);
  });

  it("a vault with the old ring alone can no longer unwrap, with a clear KeyRingError", async () => {
    forgetAll();
    const vault = await vaultWith(OLD_RING);
    const [id] = [...expected.keys()];
    const row = await integrationRow(id ?? "");
    const attempt = vault.decrypt(row.orgId, row.id, row.secrets ?? "", row.keyVersion ?? -1);
    await expect(attempt).rejects.toThrow(KeyRingError);
    await expect(vault.decrypt(row.orgId, row.id, row.secrets ?? "", row.keyVersion ?? -1)).rejects.toThrow(
      `wrapped by ring key "${NEW_ID}", which ENCRYPTION_KEYS does not contain`,
    );
  });

  it("HTTP writes answer 503 (not 500) while the deployment's ring lacks the wrapping key", async () => {
    forgetAll();
    const { orgId } = (await db().select().from(integrations).limit(1))[0] ?? { orgId: "" };
    const key = await services().organizations.createKey(orgId, { role: "admin" }, "test");
    const r = await call("POST", "/api/integrations", {
      key: key.apiKey,
      body: { provider: "sendgrid", name: "Needs k2", api_key: "SG.k2", from_email: "k2@example.com" },
    });
    expect(r.status).toBe(503);
    expect(r.json.error).toMatch(/ring key "k2"/);
  });

  it("POST /admin/keys/rewrap reports what is pending and enqueues a re-wrap job", async () => {
    const jobs = stubQueue();
    const r = await callWith({ ENCRYPTION_KEYS: BACK_RING, JOBS: jobs.queue }, "POST", "/admin/keys/rewrap", {
      key: ADMIN_TOKEN,
    });
    expect(r.status).toBe(202);
    expect(r.json).toMatchObject({ current: OLD_ID, pending: total });
    expect(jobs.sent).toEqual([{ type: "vault.rewrap" }]);
  });

  it("a re-wrap job whose ring lacks the wrapping key is retried and changes nothing", async () => {
    const outcome = await consume(
      { type: "vault.rewrap" },
      { ENCRYPTION_KEYS: `k9:${randomKeyB64()}`, JOBS: stubQueue().queue },
    );
    expect(outcome).toEqual({ acked: false, retried: true });
    expect(await countWhere("org_keys", "ring_key_id = ?", NEW_ID)).toBe(total);
  });

  it("an unparseable job is dead-lettered and acked", async () => {
    const dlq = stubQueue();
    const outcome = await consume({ type: "vault.nope" }, { DLQ: dlq.queue, JOBS: stubQueue().queue });
    expect(outcome).toEqual({ acked: true, retried: false });
    expect(dlq.sent).toEqual([{ reason: "unparseable job", body: { type: "vault.nope" } }]);
  });

  it("the queue consumer re-wraps everything back under k1 and acks the message", async () => {
    const jobs = stubQueue();
    const outcome = await consume({ type: "vault.rewrap" }, { ENCRYPTION_KEYS: BACK_RING, JOBS: jobs.queue });
    expect(outcome).toEqual({ acked: true, retried: false });
    expect(jobs.sent).toEqual([]);
    expect(await (await vaultWith(BACK_RING)).ringStatus()).toMatchObject({
      current: OLD_ID,
      orgKeysByRingKey: { [OLD_ID]: total },
      pending: 0,
    });
  });

  it("after re-wrapping back, the deployment's own ring decrypts everything again", async () => {
    forgetAll();
    await expectAllDecrypt(await vaultWith(OLD_RING), expected);
  });
});
