/** Opaque cursors over time-ordered ids. */
import { ApiError, ErrorCode } from "../errors.ts";

export const encodeCursor = (id: string): string =>
  btoa(JSON.stringify({ id })).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

/** Decodes a cursor; a cursor that is not ours is a 400 naming the `cursor` field. */
export function decodeCursor(cursor: string | undefined): string | undefined {
  if (!cursor) return undefined;
  try {
    const parsed: unknown = JSON.parse(atob(cursor.replace(/-/g, "+").replace(/_/g, "/")));
    if (parsed && typeof parsed === "object" && "id" in parsed && typeof parsed.id === "string") {
      return parsed.id;
    }
  } catch {
    // fall through
  }
  throw new ApiError(ErrorCode.INVALID_FIELD, "cursor: invalid cursor", {
    issues: [{ path: "cursor", message: "invalid cursor" }],
  });
}

/**
 * A page from rows fetched with `limit + 1`: the first `limit` rows, and a cursor when there
 * were more.
 */
export function pageOf<T extends { id: string }>(
  rows: T[],
  limit: number,
): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null };
}
