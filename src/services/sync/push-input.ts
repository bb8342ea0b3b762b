/**
 * What a push request asks for, checked before anything is written: the operation the entity
 * allows, its data and options parsed (a 400 naming each field), and the provider's pre-push
 * check run while the caller waits (a conflict is a 409 naming it).
 */
import type { z } from "zod";
import { ApiError, ErrorCode, type Issue } from "../../errors.ts";
import { ProviderError } from "../../providers/runtime.ts";
import { PushConflict, type SyncEntity } from "../../providers/sync.ts";
import { providerApiError } from "../provider-failure.ts";
import type { PushOptions } from "./shared.ts";

const invalid = (path: string, message: string) =>
  new ApiError(ErrorCode.INVALID_FIELD, `${path}: ${message}`, { issues: [{ path, message }] });

/** What a push asks for, checked against what the entity allows. */
export function pushOperation(
  displayName: string,
  entity: string,
  spec: SyncEntity,
  opts: PushOptions,
): "create" | "update" | "delete" {
  const operation = opts.operation ?? (opts.externalId ? "update" : "create");
  if (operation === "delete" && !spec.pushDelete)
    throw invalid("operation", `${displayName} ${entity} cannot be deleted from the hub`);
  if (operation !== "create" && !opts.externalId)
    throw invalid("external_id", `required to ${operation} a record`);
  if (operation === "create" && opts.externalId) {
    if (!spec.clientIds) throw invalid("external_id", `${displayName} chooses the ids of new ${entity}`);
    if (!spec.clientIds.test(opts.externalId))
      throw invalid("external_id", `not an id ${displayName} takes for ${entity} (${spec.clientIds.source})`);
  }
  if (operation !== "delete" && opts.data === undefined) throw invalid("data", "required");
  return operation;
}

/** `value` parsed with `schema`; a 400 naming each field (under `prefix`) otherwise. */
export function parseWith<T>(schema: z.ZodType<T>, value: unknown, prefix: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues: Issue[] = parsed.error.issues.map((i) => ({
    path: [prefix, ...i.path.map(String)].join("."),
    message: i.message,
  }));
  const first = issues[0] as Issue;
  throw new ApiError(ErrorCode.INVALID_FIELD, `${first.path}: ${first.message}`, { issues });
}

/**
 * Runs the provider's pre-push check while the caller waits: a conflict is a 409 naming it,
 * a provider failure answers as the provider did (nothing is queued either way).
 */
export async function checked(displayName: string, fn: () => Promise<void>) {
  try {
    await fn();
  } catch (e) {
    if (e instanceof PushConflict) {
      const issues = Object.entries(e.details).map(([path, v]) => ({
        path,
        message: typeof v === "string" ? v : JSON.stringify(v),
      }));
      throw new ApiError(ErrorCode.CONFLICT, e.message, issues.length ? { issues } : {});
    }
    if (e instanceof ProviderError) throw providerApiError(displayName, e);
    throw e;
  }
}
