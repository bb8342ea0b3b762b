/**
 * The credentials vault: envelope encryption with AES-256-GCM through WebCrypto.
 *
 * - Each organization has a data key, stored only wrapped by the current ring key (org_keys).
 * - Secrets of an integration (and the signing secrets of an event endpoint) are one ciphertext
 *   `v1.<iv>.<ciphertext+tag>` (base64), with a fresh 96-bit IV per write and `org id + row id +
 *   key version` as additional authenticated data, so a ciphertext moved to another row or
 *   tenant does not decrypt.
 * - Ring rotation re-wraps organization keys (one row each); organization key rotation
 *   re-encrypts that organization's secrets in batches. Both keep every row readable mid-way.
 * - Deleting an organization deletes its wrapped keys: its ciphertexts become unrecoverable.
 *
 * The rows live behind `VaultStore` (src/services/vault-store.ts provides the D1 one): this
 * module holds the cryptography and the rotation rules, and knows no table.
 */
import { prefixedId } from "../lib/ids.ts";
import { fromBase64, fromUtf8, randomBytes, toBase64, utf8 } from "./encoding.ts";
import { type KeyRing, KeyRingError } from "./keyring.ts";

export class VaultError extends Error {
  override name = "VaultError";
}

const IV_BYTES = 12;
const unwrapped = new Map<string, Promise<CryptoKey>>();
const UNWRAP_CACHE_MAX = 2000;

const wrapAad = (orgId: string, version: number) => utf8(`switchboard:org-key:${orgId}:v${version}`);
const secretAad = (orgId: string, integrationId: string, version: number) =>
  utf8(`switchboard:secrets:${orgId}:${integrationId}:v${version}`);

async function gcmEncrypt(key: CryptoKey, plain: Uint8Array<ArrayBuffer>, aad: Uint8Array<ArrayBuffer>) {
  const iv = randomBytes(IV_BYTES);
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad }, key, plain);
  return `v1.${toBase64(iv)}.${toBase64(ct)}`;
}

async function gcmDecrypt(key: CryptoKey, blob: string, aad: Uint8Array<ArrayBuffer>) {
  const [v, ivB64, ctB64, extra] = blob.split(".");
  if (v !== "v1" || !ivB64 || !ctB64 || extra !== undefined) throw new VaultError("malformed ciphertext");
  let iv: Uint8Array<ArrayBuffer>;
  let ct: Uint8Array<ArrayBuffer>;
  try {
    iv = fromBase64(ivB64);
    ct = fromBase64(ctB64);
  } catch {
    throw new VaultError("malformed ciphertext");
  }
  if (iv.length !== IV_BYTES) throw new VaultError("malformed ciphertext");
  try {
    return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData: aad }, key, ct));
  } catch {
    throw new VaultError("ciphertext does not authenticate (wrong key, row or tampered data)");
  }
}

/** An organization's data key as stored: wrapped by the ring key `ringKeyId`. */
export interface OrgKeyRow {
  orgId: string;
  version: number;
  wrappedKey: string;
  ringKeyId: string;
}

/** A key rotation as stored. */
export interface RotationRow {
  id: string;
  orgId: string;
  fromVersion: number;
  toVersion: number;
  status: "running" | "completed";
  rowsTotal: number;
  rowsDone: number;
  startedAt: string;
  completedAt: string | null;
}

/** A row whose ciphertext a rotation re-encrypts: an integration or an event endpoint. */
export interface EncryptedRow {
  table: "integration" | "endpoint";
  id: string;
  secrets: string | null;
  keyVersion: number | null;
}

/** A re-encrypted row, written only if it still holds `fromSecrets` under `fromKeyVersion`. */
export interface ReencryptedRow {
  table: EncryptedRow["table"];
  id: string;
  fromSecrets: string;
  fromKeyVersion: number;
  secrets: string;
  keyVersion: number;
}

/** Where the vault keeps its rows; the services provide the D1 implementation. */
export interface VaultStore {
  /** The organization's key of `version`, or its newest. */
  orgKey(orgId: string, version?: number): Promise<OrgKeyRow | undefined>;
  orgKeysPerRingKey(): Promise<{ ringKeyId: string; n: number }[]>;
  orgKeysNotUnder(ringKeyId: string, limit: number): Promise<OrgKeyRow[]>;
  /** Each update is a compare-and-set on the row's old wrapped value; one batch. */
  rewrap(updates: { row: OrgKeyRow; wrappedKey: string; ringKeyId: string }[]): Promise<void>;
  /** In one batch: the new key row, the organization's current version, the running rotation. */
  startRotation(
    keyRow: OrgKeyRow,
    rotation: { id: string; orgId: string; fromVersion: number; toVersion: number; rowsTotal: number },
  ): Promise<void>;
  runningRotation(orgId: string): Promise<RotationRow | undefined>;
  rotation(rotationId: string, orgId: string): Promise<RotationRow | undefined>;
  latestRotationId(orgId: string): Promise<string | undefined>;
  /** Rows of both encrypted tables under a key version older than `version`. */
  countUnderOlderKey(orgId: string, version: number): Promise<number>;
  /** Up to `limit` such rows, integrations first, then event endpoints. */
  rowsUnderOlderKey(orgId: string, version: number, limit: number): Promise<EncryptedRow[]>;
  /** In one batch: the rotation's progress and the compare-and-set writes. */
  saveReencrypted(orgId: string, rotationId: string, updates: ReencryptedRow[]): Promise<void>;
  /** In one batch: deletes key versions older than `toVersion` and marks the rotation completed. */
  completeRotation(orgId: string, rotationId: string, toVersion: number): Promise<void>;
}

export interface RingStatus {
  current: string;
  loaded: string[];
  /** Organization keys per ring key id. */
  orgKeysByRingKey: Record<string, number>;
  /** Organization keys not yet under the current ring key. */
  pending: number;
}

export interface RotationStatus {
  id: string;
  orgId: string;
  fromVersion: number;
  toVersion: number;
  status: "running" | "completed";
  rowsTotal: number;
  rowsDone: number;
  remaining: number;
  startedAt: string;
  completedAt: string | null;
}

export class Vault {
  constructor(
    private readonly store: VaultStore,
    private readonly ring: KeyRing,
  ) {}

  /** A fresh data key for a new organization, wrapped; the caller inserts the row. */
  async newOrgKey(orgId: string, version = 1): Promise<OrgKeyRow> {
    const raw = randomBytes(32);
    const wrappedKey = await gcmEncrypt(this.ring.current.key, raw, wrapAad(orgId, version));
    raw.fill(0);
    return { orgId, version, wrappedKey, ringKeyId: this.ring.current.id };
  }

  private async unwrap(row: OrgKeyRow) {
    const cacheKey = `${row.orgId}|${row.version}|${row.ringKeyId}|${row.wrappedKey}`;
    let key = unwrapped.get(cacheKey);
    if (!key) {
      const ringKey = this.ring.byId.get(row.ringKeyId);
      if (!ringKey) {
        throw new KeyRingError(
          `organization key is wrapped by ring key "${row.ringKeyId}", which ENCRYPTION_KEYS does not contain`,
        );
      }
      key = gcmDecrypt(ringKey.key, row.wrappedKey, wrapAad(row.orgId, row.version)).then((raw) => {
        const imported = crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
        raw.fill(0);
        return imported;
      });
      key.catch(() => unwrapped.delete(cacheKey));
      if (unwrapped.size >= UNWRAP_CACHE_MAX) {
        const oldest = unwrapped.keys().next().value;
        if (oldest !== undefined) unwrapped.delete(oldest);
      }
      unwrapped.set(cacheKey, key);
    }
    return key;
  }

  /** The organization's key of `version`, or its newest when no version is given. */
  private async orgKey(orgId: string, version?: number) {
    const row = await this.store.orgKey(orgId, version);
    if (!row) throw new VaultError("the organization has no data key (deleted organization?)");
    return { version: row.version, key: await this.unwrap(row) };
  }

  /**
   * Encrypts a map of secret fields for one row (an integration, or an event endpoint: its id
   * goes in the same slot) under the organization's current key.
   */
  async encrypt(
    orgId: string,
    integrationId: string,
    secrets: Record<string, string>,
  ): Promise<{ ciphertext: string; keyVersion: number }> {
    const { version, key } = await this.orgKey(orgId);
    const ciphertext = await gcmEncrypt(
      key,
      utf8(JSON.stringify(secrets)),
      secretAad(orgId, integrationId, version),
    );
    return { ciphertext, keyVersion: version };
  }

  /** Decrypts what `encrypt` produced for the same organization and row. */
  async decrypt(
    orgId: string,
    integrationId: string,
    ciphertext: string,
    keyVersion: number,
  ): Promise<Record<string, string>> {
    const { key } = await this.orgKey(orgId, keyVersion);
    const plain = await gcmDecrypt(key, ciphertext, secretAad(orgId, integrationId, keyVersion));
    const parsed: unknown = JSON.parse(fromUtf8(plain));
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed))
      throw new VaultError("malformed secrets");
    return parsed as Record<string, string>;
  }

  // ---- ring rotation -------------------------------------------------------------------

  async ringStatus(): Promise<RingStatus> {
    const rows = await this.store.orgKeysPerRingKey();
    const byRing: Record<string, number> = {};
    let pending = 0;
    for (const r of rows) {
      byRing[r.ringKeyId] = r.n;
      if (r.ringKeyId !== this.ring.current.id) pending += r.n;
    }
    return { current: this.ring.current.id, loaded: this.ring.ids, orgKeysByRingKey: byRing, pending };
  }

  /**
   * Re-wraps up to `limit` organization keys that are still under a non-current ring key.
   * Each update is a compare-and-set on the old wrapped value, so concurrent runs are safe.
   */
  async rewrapBatch(limit = 100): Promise<{ rewrapped: number; remaining: number }> {
    const current = this.ring.current;
    const rows = await this.store.orgKeysNotUnder(current.id, limit);
    const updates = [];
    for (const row of rows) {
      const ringKey = this.ring.byId.get(row.ringKeyId);
      if (!ringKey) throw new KeyRingError(`ring key "${row.ringKeyId}" is not in ENCRYPTION_KEYS`);
      const raw = await gcmDecrypt(ringKey.key, row.wrappedKey, wrapAad(row.orgId, row.version));
      const wrappedKey = await gcmEncrypt(current.key, raw, wrapAad(row.orgId, row.version));
      raw.fill(0);
      updates.push({ row, wrappedKey, ringKeyId: current.id });
    }
    await this.store.rewrap(updates);
    const status = await this.ringStatus();
    return { rewrapped: updates.length, remaining: status.pending };
  }

  // ---- organization key rotation -------------------------------------------------------

  /**
   * Starts rotating one organization's data key: a new key version becomes current for writes
   * at once; `reencryptBatch` then moves existing secrets over. Returns the running rotation
   * if one is already under way.
   */
  async startOrgKeyRotation(orgId: string): Promise<RotationStatus> {
    const running = await this.store.runningRotation(orgId);
    if (running) return this.rotationStatus(running.id, orgId);
    const latest = await this.orgKey(orgId);
    const toVersion = latest.version + 1;
    const keyRow = await this.newOrgKey(orgId, toVersion);
    const n = await this.store.countUnderOlderKey(orgId, toVersion);
    const id = prefixedId("rot");
    try {
      await this.store.startRotation(keyRow, {
        id,
        orgId,
        fromVersion: latest.version,
        toVersion,
        rowsTotal: n,
      });
    } catch (e) {
      // Another request started a rotation between our check and our insert (the new key
      // version's primary key refused ours): answer with that one.
      const winner = await this.store.runningRotation(orgId);
      if (winner) return this.rotationStatus(winner.id, orgId);
      throw e;
    }
    return this.rotationStatus(id, orgId);
  }

  /**
   * Re-encrypts up to `limit` rows of a running rotation, integrations first, then event
   * endpoints; completes it (retiring the old key versions) when neither table has a row left
   * under an older key.
   */
  async reencryptBatch(orgId: string, rotationId: string, limit = 50): Promise<RotationStatus> {
    const rot = await this.getRotation(rotationId, orgId);
    if (rot.status === "completed") return this.rotationStatus(rotationId, orgId);
    const rows = await this.store.rowsUnderOlderKey(orgId, rot.toVersion, limit);
    const target = await this.orgKey(orgId, rot.toVersion);
    const updates: ReencryptedRow[] = [];
    for (const row of rows) {
      if (row.secrets === null || row.keyVersion === null) continue;
      const { key } = await this.orgKey(orgId, row.keyVersion);
      const plain = await gcmDecrypt(key, row.secrets, secretAad(orgId, row.id, row.keyVersion));
      const secrets = await gcmEncrypt(target.key, plain, secretAad(orgId, row.id, rot.toVersion));
      plain.fill(0);
      updates.push({
        table: row.table,
        id: row.id,
        fromSecrets: row.secrets,
        fromKeyVersion: row.keyVersion,
        secrets,
        keyVersion: rot.toVersion,
      });
    }
    await this.store.saveReencrypted(orgId, rotationId, updates);
    if (rows.length === 0) {
      // Nothing is left under an older key: retire the old key versions.
      await this.store.completeRotation(orgId, rotationId, rot.toVersion);
      forgetOrgKeys(orgId);
    }
    return this.rotationStatus(rotationId, orgId);
  }

  private async getRotation(rotationId: string, orgId: string) {
    const rot = await this.store.rotation(rotationId, orgId);
    if (!rot) throw new VaultError("no such key rotation");
    return rot;
  }

  async rotationStatus(rotationId: string, orgId: string): Promise<RotationStatus> {
    const rot = await this.getRotation(rotationId, orgId);
    const n = await this.store.countUnderOlderKey(orgId, rot.toVersion);
    return {
      id: rot.id,
      orgId: rot.orgId,
      fromVersion: rot.fromVersion,
      toVersion: rot.toVersion,
      status: rot.status,
      rowsTotal: rot.rowsTotal,
      rowsDone: rot.rowsDone,
      remaining: n,
      startedAt: rot.startedAt,
      completedAt: rot.completedAt,
    };
  }

  async latestRotation(orgId: string): Promise<RotationStatus | null> {
    const id = await this.store.latestRotationId(orgId);
    return id ? this.rotationStatus(id, orgId) : null;
  }
}

/** Drops this isolate's unwrapped keys of an organization (after deletion or rotation). */
export function forgetOrgKeys(orgId: string): void {
  for (const k of unwrapped.keys()) if (k.startsWith(`${orgId}|`)) unwrapped.delete(k);
}
