/**
 * Batches whose statements may belong to two databases: the main one and an organization's data
 * database (src/db/shards.ts). A D1 batch is atomic, but only within one database, so such a
 * write runs as one batch per database. Where the organization's data database is DB, it is one
 * batch, as it always was.
 *
 * Callers order their statements so that the database whose batch is the write comes first and
 * what only describes it (a log line, a counter) after: a failure after the first batch leaves
 * the write done and, at worst, a description missing.
 */
import type { BatchItem } from "drizzle-orm/batch";
import { createLogger } from "../lib/log.ts";
import type { Db } from "./client.ts";

export type Statement = BatchItem<"sqlite">;

/** A statement for a named database (in a list whose plain statements are for the main one). */
export class On {
  constructor(
    readonly db: Db,
    readonly statement: Statement,
  ) {}
}

/** `statement` to run on `db`. */
export const on = (db: Db, statement: Statement) => new On(db, statement);

/** A plain statement (for the main database of the batch) or one `on` another. */
export type Write = Statement | On;

/** The statements of one database, with their places in the list they came from. */
export interface Group {
  db: Db;
  statements: Statement[];
  places: number[];
}

/** `writes` by database (plain ones on `main`), in the order each database first appears. */
export function groupByDb(main: Db, writes: Write[]): Group[] {
  const groups: Group[] = [];
  writes.forEach((w, place) => {
    const db = w instanceof On ? w.db : main;
    const statement = w instanceof On ? w.statement : w;
    let g = groups.find((x) => x.db === db);
    if (!g) {
      g = { db, statements: [], places: [] };
      groups.push(g);
    }
    g.statements.push(statement);
    g.places.push(place);
  });
  return groups;
}

/** Runs one database's statements as one D1 batch. */
export function runGroup(g: { db: Db; statements: Statement[] }): Promise<unknown[]> {
  if (!g.statements.length) return Promise.resolve([]);
  return g.db.batch(g.statements as [Statement, ...Statement[]]);
}

/**
 * A batch that ran after the write it describes failed: logged, not thrown, since the write is
 * done and throwing would only fail (and invite a retry of) what already succeeded.
 */
export function logLateFailure(e: unknown, statements: number) {
  createLogger().error("a batch after the write it belongs to failed; the write stands", {
    statements,
    reason: e instanceof Error ? e.message : String(e),
  });
}

/**
 * Runs `writes` (plain statements on `main`, `On` ones on their database): one D1 batch per
 * database, in the order each first appears. The first batch's failure is thrown (nothing else
 * ran); a later one's is logged (see logLateFailure). Answers each statement's result in the
 * order given (undefined for one whose batch failed).
 */
export async function batchAcross(main: Db, writes: Write[]): Promise<unknown[]> {
  const results: unknown[] = new Array(writes.length);
  for (const [i, g] of groupByDb(main, writes).entries()) {
    try {
      const out = await runGroup(g);
      g.places.forEach((place, j) => {
        results[place] = out[j];
      });
    } catch (e) {
      if (i === 0) throw e;
      logLateFailure(e, g.statements.length);
    }
  }
  return results;
}
