/**
 * Finishing leased work by the holder only. A consumer claims a row (a message, a sync job, a
 * record push) with a compare-and-set that writes `lease_until = now + lease`; that value is its
 * lease token, since a later claim succeeds only once the lease has run out and so writes a
 * larger one. Whatever the holder writes at the end goes through `holds()` (a condition for its
 * UPDATEs) or `batchUnderLease()` (a D1 batch that also inserts), so a consumer whose lease ran
 * out and was taken over can never overwrite the newer holder's result.
 */
import { and, eq, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import { groupByDb, logLateFailure, runGroup, type Statement, type Write } from "../db/batch.ts";
import type { Db } from "../db/client.ts";

/** A table of leased rows: an `id`, a NOT NULL `status` and a `lease_until` (epoch ms). */
export type LeasedTable = SQLiteTable & { id: SQLiteColumn; status: SQLiteColumn; leaseUntil: SQLiteColumn };

/** The lease one consumer holds on one row: the `lease_until` its claim wrote. */
export interface Lease {
  table: LeasedTable;
  id: string;
  until: number;
}

/** The condition "this row, still under this lease", for the holder's UPDATEs. */
export function holds(lease: Lease): SQL {
  return and(eq(lease.table.id, lease.id), eq(lease.table.leaseUntil, lease.until)) as SQL;
}

/** Whether the row is still under this lease. */
export async function stillHeld(db: Db, lease: Lease): Promise<boolean> {
  const rows = await db.select({ id: lease.table.id }).from(lease.table).where(holds(lease)).limit(1);
  return rows.length === 1;
}

/**
 * A statement that aborts its batch unless the lease is still held: it writes the row's status
 * back unchanged while the lease is this one, and NULL otherwise, which the NOT NULL constraint
 * refuses. D1 runs a batch as one transaction, so nothing else in it is written either.
 */
function guard(db: Db, lease: Lease) {
  const { table } = lease;
  return db
    .update(table)
    .set({ status: sql`case when ${table.leaseUntil} = ${lease.until} then ${table.status} end` } as never)
    .where(eq(table.id, lease.id));
}

/**
 * Runs `statements` as one D1 batch only while `lease` is still held (every one of them, given
 * several leases on rows of one database: the succeeded jobs of one run, finished together).
 * Answers the batch's results without the guards', or null (and writes nothing) when another
 * consumer has taken a row over. Any other failure is thrown.
 *
 * `db` is the database of the leases' rows. Statements may also be for other databases (an `On`,
 * src/db/batch.ts; a plain one is for `main`): each database's run as one batch, in the order
 * each first appears, the guards with the leases'. A batch before the leases' runs whatever the
 * lease (the caller puts there only what is harmless to write twice: a page's records, upserted
 * again when the page is); one after it runs only once the leases' is written, and its failure
 * is logged, not thrown (a log line or a counter of a result that stands).
 */
export async function batchUnderLease(
  db: Db,
  lease: Lease | Lease[],
  statements: Write[],
  main: Db = db,
): Promise<unknown[] | null> {
  const leases = Array.isArray(lease) ? lease : [lease];
  const groups = groupByDb(main, statements);
  let at = groups.findIndex((g) => g.db === db);
  if (at < 0) {
    groups.unshift({ db, statements: [], places: [] });
    at = 0;
  }
  const results: unknown[] = new Array(statements.length);
  for (const [i, g] of groups.entries()) {
    let out: unknown[];
    if (i === at) {
      try {
        const guards = leases.map((l) => guard(db, l));
        out = (await db.batch([...guards, ...g.statements] as [Statement])).slice(guards.length);
      } catch (e) {
        for (const l of leases) if (!(await stillHeld(db, l))) return null;
        throw e;
      }
    } else if (i < at) {
      out = await runGroup(g);
    } else {
      try {
        out = await runGroup(g);
      } catch (e) {
        logLateFailure(e, g.statements.length);
        continue;
      }
    }
    g.places.forEach((place, j) => {
      results[place] = out[j];
    });
  }
  return results;
}
