/**
 * The integrations service: one implementation behind both API dialects (001 RPC and REST).
 * Every query is scoped by organization; secrets go only through the vault; each write is one
 * D1 batch together with its integration log entry and audit record, so nothing is half-written.
 * The parts live in ./integrations/: reads, writes (with the preparation of a write's columns in
 * prepare) and 004's connect and disconnect.
 */
import type { Settings } from "../config.ts";
import type { Vault } from "../crypto/vault.ts";
import type { Db } from "../db/client.ts";
import type { Activity } from "./activity.ts";
import { IntegrationConnect } from "./integrations/connect.ts";
import { IntegrationReads } from "./integrations/reads.ts";
import { IntegrationWrites } from "./integrations/writes.ts";

export {
  categoryOf,
  type IntegrationRef,
  type IntegrationWrite,
  type ListFilter,
  providerOf,
  STATUSES,
  type Status,
  type WriteContext,
  type WriteOf,
} from "./integrations/shared.ts";

/** The integrations service: one object over its parts, so callers keep one `services.integrations`. */
export class Integrations {
  private readonly reads: IntegrationReads;
  private readonly writes: IntegrationWrites;
  private readonly connection: IntegrationConnect;

  constructor(
    db: Db,
    activity: Activity,
    vault: () => Promise<Vault>,
    settings: Settings,
    { cacheReads = false }: { cacheReads?: boolean } = {},
  ) {
    const deps = { db, activity, vault, settings, cacheReads };
    this.reads = new IntegrationReads(deps);
    this.writes = new IntegrationWrites(deps, this.reads);
    this.connection = new IntegrationConnect(deps, this.reads, this.writes);
  }

  /** A page of the organization's integrations, newest first. */
  list: IntegrationReads["list"] = (...a) => this.reads.list(...a);
  /** The organization's integration `id`; another tenant's or a missing one is a 404. */
  get: IntegrationReads["get"] = (...a) => this.reads.get(...a);
  /** The integration as this isolate read it within a few seconds (reads only, never before a write). */
  getCached: IntegrationReads["getCached"] = (...a) => this.reads.getCached(...a);
  /** The organization's integration of a provider; with several, the caller must name one. */
  findByProvider: IntegrationReads["findByProvider"] = (...a) => this.reads.findByProvider(...a);
  /** The integration a path names, by id or by provider; none is a 404. */
  resolve: IntegrationReads["resolve"] = (...a) => this.reads.resolve(...a);
  /** The active integrations that are not disconnected, newest first. */
  connected: IntegrationReads["connected"] = (...a) => this.reads.connected(...a);
  /** Decrypted secrets of an integration (for provider calls; never for responses). */
  secretsOf: IntegrationReads["secretsOf"] = (...a) => this.reads.secretsOf(...a);
  /** The activity log of the organization's integration, newest first. */
  logs: IntegrationReads["logs"] = (...a) => this.reads.logs(...a);
  /** Integrations by type and status, messages by status and channel, test outcomes. */
  stats: IntegrationReads["stats"] = (...a) => this.reads.stats(...a);

  /** Creates an integration of a provider; the name is unique per organization and provider. */
  create: IntegrationWrites["create"] = (...a) => this.writes.create(...a);
  /** Updates an integration (compare-and-set; a write that keeps losing the race is a 409). */
  update: IntegrationWrites["update"] = (...a) => this.writes.update(...a);
  /** Updates an integration with its type's fields (002 `configure/{type}`). */
  configure: IntegrationWrites["configure"] = (...a) => this.writes.configure(...a);
  /** Activates or deactivates an integration. */
  setActive: IntegrationWrites["setActive"] = (...a) => this.writes.setActive(...a);
  /** Deletes an integration; answers the row it deleted. */
  delete: IntegrationWrites["delete"] = (...a) => this.writes.delete(...a);

  /** Saves or overwrites a provider's token and settings, and activates the integration (004). */
  connect: IntegrationConnect["connect"] = (...a) => this.connection.connect(...a);
  /** Disables the integration and deletes its credentials; history and settings stay. */
  disconnect: IntegrationConnect["disconnect"] = (...a) => this.connection.disconnect(...a);
}
