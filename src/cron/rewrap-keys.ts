/** Cron: when organization keys are still wrapped by an older ring key, enqueue re-wrapping. */
import type { JobMessage } from "../queue/messages.ts";
import type { Services } from "../services/index.ts";

export async function rewrapKeys(services: Services, env: Env): Promise<void> {
  const vault = await services.vault();
  const status = await vault.ringStatus();
  if (status.pending > 0) await env.JOBS.send({ type: "vault.rewrap" } satisfies JobMessage);
}
