/**
 * The per-request (or per-job) services object. Services take explicit dependencies (db,
 * vault, settings), never a Hono context, so fetch, queue and cron handlers share them.
 */
import { getSettings, type Settings } from "../config.ts";
import { loadKeyRing } from "../crypto/keyring.ts";
import { Vault } from "../crypto/vault.ts";
import { createDb, type Db } from "../db/client.ts";
import { Activity } from "./activity.ts";
import { Integrations } from "./integrations.ts";
import { Organizations } from "./organizations.ts";

export interface Services {
  db: Db;
  settings: Settings;
  /** The vault; fails with a clear KeyRingError when ENCRYPTION_KEYS is missing or malformed. */
  vault: () => Promise<Vault>;
  activity: Activity;
  organizations: Organizations;
  integrations: Integrations;
}

export function createServices(env: Env, requestId: string): Services {
  const db = createDb(env.DB);
  const settings = getSettings(env);
  let vault: Promise<Vault> | undefined;
  const getVault = () => {
    vault ??= loadKeyRing(env.ENCRYPTION_KEYS).then((ring) => new Vault(db, ring));
    vault.catch(() => {
      vault = undefined;
    });
    return vault;
  };
  const activity = new Activity(db, requestId);
  return {
    db,
    settings,
    vault: getVault,
    activity,
    organizations: new Organizations(db, activity, getVault),
    integrations: new Integrations(db, activity, getVault, settings),
  };
}
