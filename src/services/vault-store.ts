/**
 * The vault's rows in D1: organization keys, key rotations, and the two tables whose secrets
 * the vault encrypts (integrations, event endpoints). The vault reaches them only through the
 * `VaultStore` interface, so the crypto module knows no domain table.
 */
import { and, count, eq, isNotNull, lt, ne, sql } from "drizzle-orm";
import type { VaultStore } from "../crypto/vault.ts";
import type { Db } from "../db/client.ts";
import { eventEndpoints, integrations, keyRotations, organizations, orgKeys } from "../db/schema.ts";
import { forgetOrgIntegrations } from "./integration-cache.ts";

/** Integrations of an organization whose secrets are under a key version older than `version`. */
const underOlderKey = (orgId: string, version: number) =>
  and(eq(integrations.orgId, orgId), isNotNull(integrations.secrets), lt(integrations.keyVersion, version));

/** Event endpoints of an organization whose signing secrets are under an older key version. */
const endpointsUnderOlderKey = (orgId: string, version: number) =>
  and(eq(eventEndpoints.orgId, orgId), lt(eventEndpoints.keyVersion, version));

const rotationColumns = {
  id: keyRotations.id,
  orgId: keyRotations.orgId,
  fromVersion: keyRotations.fromVersion,
  toVersion: keyRotations.toVersion,
  status: keyRotations.status,
  rowsTotal: keyRotations.rowsTotal,
  rowsDone: keyRotations.rowsDone,
  startedAt: keyRotations.startedAt,
  completedAt: keyRotations.completedAt,
};

const keyColumns = {
  orgId: orgKeys.orgId,
  version: orgKeys.version,
  wrappedKey: orgKeys.wrappedKey,
  ringKeyId: orgKeys.ringKeyId,
};

/** The D1 store behind a vault. */
export function createVaultStore(db: Db): VaultStore {
  return {
    async orgKey(orgId, version) {
      const rows = await db
        .select(keyColumns)
        .from(orgKeys)
        .where(
          version === undefined
            ? eq(orgKeys.orgId, orgId)
            : and(eq(orgKeys.orgId, orgId), eq(orgKeys.version, version)),
        )
        .orderBy(sql`${orgKeys.version} desc`)
        .limit(1);
      return rows[0];
    },

    orgKeysPerRingKey() {
      return db.select({ ringKeyId: orgKeys.ringKeyId, n: count() }).from(orgKeys).groupBy(orgKeys.ringKeyId);
    },

    orgKeysNotUnder(ringKeyId, limit) {
      return db.select(keyColumns).from(orgKeys).where(ne(orgKeys.ringKeyId, ringKeyId)).limit(limit);
    },

    async rewrap(updates) {
      const [first, ...rest] = updates.map(({ row, wrappedKey, ringKeyId }) =>
        db
          .update(orgKeys)
          .set({ wrappedKey, ringKeyId })
          .where(
            and(
              eq(orgKeys.orgId, row.orgId),
              eq(orgKeys.version, row.version),
              eq(orgKeys.wrappedKey, row.wrappedKey),
            ),
          ),
      );
      if (first) await db.batch([first, ...rest]);
    },

    async startRotation(keyRow, rotation) {
      await db.batch([
        db.insert(orgKeys).values(keyRow),
        db
          .update(organizations)
          .set({ currentKeyVersion: rotation.toVersion })
          .where(eq(organizations.id, rotation.orgId)),
        db.insert(keyRotations).values({ ...rotation, status: "running" }),
      ]);
    },

    async runningRotation(orgId) {
      const rows = await db
        .select(rotationColumns)
        .from(keyRotations)
        .where(and(eq(keyRotations.orgId, orgId), eq(keyRotations.status, "running")))
        .limit(1);
      return rows[0];
    },

    async rotation(rotationId, orgId) {
      const rows = await db
        .select(rotationColumns)
        .from(keyRotations)
        .where(and(eq(keyRotations.id, rotationId), eq(keyRotations.orgId, orgId)))
        .limit(1);
      return rows[0];
    },

    async latestRotationId(orgId) {
      const rows = await db
        .select({ id: keyRotations.id })
        .from(keyRotations)
        .where(eq(keyRotations.orgId, orgId))
        .orderBy(sql`${keyRotations.startedAt} desc`)
        .limit(1);
      return rows[0]?.id;
    },

    async countUnderOlderKey(orgId, version) {
      const [[{ n: inIntegrations = 0 } = {}], [{ n: inEndpoints = 0 } = {}]] = await Promise.all([
        db.select({ n: count() }).from(integrations).where(underOlderKey(orgId, version)),
        db.select({ n: count() }).from(eventEndpoints).where(endpointsUnderOlderKey(orgId, version)),
      ]);
      return inIntegrations + inEndpoints;
    },

    async rowsUnderOlderKey(orgId, version, limit) {
      const rows = await db
        .select({ id: integrations.id, secrets: integrations.secrets, keyVersion: integrations.keyVersion })
        .from(integrations)
        .where(underOlderKey(orgId, version))
        .limit(limit);
      const endpointRows =
        rows.length < limit
          ? await db
              .select({
                id: eventEndpoints.id,
                secrets: eventEndpoints.secret,
                keyVersion: eventEndpoints.keyVersion,
              })
              .from(eventEndpoints)
              .where(endpointsUnderOlderKey(orgId, version))
              .limit(limit - rows.length)
          : [];
      return [
        ...rows.map((r) => ({ ...r, table: "integration" as const })),
        ...endpointRows.map((r) => ({ ...r, table: "endpoint" as const })),
      ];
    },

    async saveReencrypted(orgId, rotationId, updates) {
      const progress = db
        .update(keyRotations)
        .set({ rowsDone: sql`min(${keyRotations.rowsTotal}, ${keyRotations.rowsDone} + ${updates.length})` })
        .where(eq(keyRotations.id, rotationId));
      // Each write is a compare-and-set on the old ciphertext and version, so a row changed
      // meanwhile (a new secret saved) is left as the newer write made it.
      const writes = updates.map((u) =>
        u.table === "integration"
          ? db
              .update(integrations)
              .set({ secrets: u.secrets, keyVersion: u.keyVersion })
              .where(
                and(
                  eq(integrations.orgId, orgId),
                  eq(integrations.id, u.id),
                  eq(integrations.keyVersion, u.fromKeyVersion),
                  eq(integrations.secrets, u.fromSecrets),
                ),
              )
          : db
              .update(eventEndpoints)
              .set({ secret: u.secrets, keyVersion: u.keyVersion })
              .where(
                and(
                  eq(eventEndpoints.orgId, orgId),
                  eq(eventEndpoints.id, u.id),
                  eq(eventEndpoints.keyVersion, u.fromKeyVersion),
                  eq(eventEndpoints.secret, u.fromSecrets),
                ),
              ),
      );
      await db.batch([progress, ...writes]);
      forgetOrgIntegrations(orgId);
    },

    async completeRotation(orgId, rotationId, toVersion) {
      await db.batch([
        db.delete(orgKeys).where(and(eq(orgKeys.orgId, orgId), lt(orgKeys.version, toVersion))),
        db
          .update(keyRotations)
          .set({
            status: "completed",
            rowsDone: sql`${keyRotations.rowsTotal}`,
            completedAt: sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`,
          })
          .where(eq(keyRotations.id, rotationId)),
      ]);
    },
  };
}
