/**
 * The operator's key management: an organization's data key rotation (its secrets re-encrypted
 * in batches on the queue, with visible progress) and the ring keys' re-wrap of organization keys.
 */
import type { RotationStatus, Vault } from "../crypto/vault.ts";
import type { Db } from "../db/client.ts";
import type { JobMessage } from "../queue/messages.ts";
import type { Activity } from "./activity.ts";
import type { Organizations } from "./organizations.ts";

export class Keys {
  constructor(
    private readonly db: Db,
    private readonly activity: Activity,
    private readonly organizations: Organizations,
    private readonly vault: () => Promise<Vault>,
    private readonly jobs: Queue,
  ) {}

  /** Starts (or answers the running) rotation of the organization's data key and queues its work. */
  async rotateOrgKey(orgId: string, actor: string): Promise<RotationStatus> {
    await this.organizations.get(orgId);
    const rot = await (await this.vault()).startOrgKeyRotation(orgId);
    await this.jobs.send({ type: "vault.reencrypt", orgId, rotationId: rot.id } satisfies JobMessage);
    await this.db.batch([
      this.activity.auditStatement({
        orgId,
        actor,
        action: "org_key.rotation_started",
        targetType: "organization",
        targetId: orgId,
        details: { to_version: rot.toVersion },
      }),
    ]);
    return rot;
  }

  /** The organization's latest data key rotation, if any; a 404 for an unknown organization. */
  async latestRotation(orgId: string): Promise<RotationStatus | null> {
    await this.organizations.get(orgId);
    return (await this.vault()).latestRotation(orgId);
  }

  /** Which ring key wraps how many organization keys. */
  async ringStatus() {
    return (await this.vault()).ringStatus();
  }

  /** Queues the re-wrap of organization keys under the current ring key when some are pending. */
  async rewrap() {
    const s = await this.ringStatus();
    if (s.pending > 0) await this.jobs.send({ type: "vault.rewrap" } satisfies JobMessage);
    return s;
  }
}
