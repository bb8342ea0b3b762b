/** How the job engine's rows are shown. */
import type { DeadLetterRow } from "../../db/schema.ts";

export function deadLetterView(d: DeadLetterRow) {
  return {
    id: d.id,
    kind: d.kind,
    ref_id: d.refId,
    cause: d.cause,
    reason: d.reason,
    attempts: d.attempts,
    created_at: d.createdAt,
  };
}
