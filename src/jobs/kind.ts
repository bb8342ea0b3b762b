/**
 * What a kind of job declares to the job engine (engine.ts), and what the engine answers: its
 * rows, statuses and retry policy, its handler and how an outcome is stored; the outcomes a
 * handler gives; and a kind's retry time kept in its rows.
 */
import { isNull, lte, or, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Write } from "../db/batch.ts";
import type { Shards } from "../db/shards.ts";
import type { Logger } from "../lib/log.ts";
import type { JobMessage } from "../queue/messages.ts";
import type { RetryPolicy } from "./backoff.ts";
import type { Lease, LeasedTable } from "./lease.ts";

/** A table of jobs: leased rows that belong to an organization and count their attempts. */
export type JobTable = LeasedTable & { orgId: SQLiteColumn; attempts: SQLiteColumn };

/**
 * A statement an outcome writes with the row: a plain one is for the main database, an `On` for
 * the one it names (an organization's data database, src/db/shards.ts).
 */
export type Statement = Write;
export type Columns = Record<string, unknown>;

/** What one attempt of a job came to, as its handler says (or as the engine reads a throw). */
export type Outcome =
  /** Done: `set` is written to the row (with the lease released), `write` beside it. */
  | { result: "succeeded"; set: Columns; write?: Statement[]; after?: () => Promise<unknown> }
  /**
   * Will not succeed by trying again: the row ends as the kind's failure (with `set` over it);
   * a dead letter.
   */
  | { result: "failed"; reason: string; set?: Columns; write?: Statement[]; after?: () => Promise<unknown> }
  /** Try again later: after Retry-After when the provider gave one, else after the backoff. */
  | {
      result: "retry";
      reason: string;
      retryAfterSeconds?: number;
      rateLimited?: boolean;
      /** Columns written with the retry (or with the failure, should this be the last attempt). */
      set?: Columns;
      write?: Statement[];
    };

/** One claimed job: its row as the claim left it, its lease, and the number of this attempt. */
export interface Claimed<Row> {
  row: Row;
  lease: Lease;
  attempt: number;
  now: number;
  log: Logger;
  /**
   * Renews the lease for the kind's lease time from `at` (a handler whose work may outlast it
   * calls this between steps). Answers false, and changes nothing, when the lease was lost: the
   * job's finish will then be dropped, so the handler may stop early.
   */
  renew: (at?: number) => Promise<boolean>;
}

/** How a retry or a failure is written to a kind's row (the lease is released by the engine). */
export interface RetryWrite {
  reason: string;
  /** When the next attempt is due (ms epoch). */
  at: number;
  rateLimited: boolean;
  /** The row's attempt count after this one (one less when a rate limit is free). */
  attempts: number;
}

export interface JobKind<
  Row extends { id: string; orgId: string; attempts: number; leaseUntil: number | null },
> {
  /** The queue message type, also the kind's name in dead letters and counters. */
  type: JobMessage["type"];
  table: JobTable;
  /**
   * Where the rows live when `table` is one of the high-volume tables (webhook events, event
   * deliveries): each organization's data database. Absent: the engine's database.
   */
  shards?: Shards;
  /** Statuses of a row waiting for an attempt. */
  waiting: readonly string[];
  /** The status of a row while a worker holds its lease. */
  running: string;
  leaseMs: number;
  policy: RetryPolicy;
  /** Extra columns the claim writes (a start time, say). */
  onClaim?: (now: number) => Columns;
  /** A waiting row is due (a retry's time has come); absent: always due. */
  due?: (now: number) => SQL | undefined;
  /** When a waiting row that is not due will be (ms epoch). */
  dueAt?: (row: Row) => number | null;
  /** A further condition of this delivery (the page it names, say): not met means stale, acked. */
  matches?: (message: JobMessage) => SQL | undefined;
  /**
   * The queue message(s) that name these rows of one organization: `message` is the delivery
   * being rescheduled, `rows` the rows themselves where the engine has them (a retry, a
   * re-drive), for a kind whose message says more than the row's id (the page it is on, say).
   */
  messages: (orgId: string, ids: string[], message?: JobMessage, rows?: Row[]) => JobMessage[];
  /** Runs before the attempts (one read shared by a batch of rows, say). */
  prepare?: (orgId: string, rows: Row[], log: Logger) => Promise<unknown>;
  /** The handler: one attempt at one row. A throw is read by `outcomeOf`. */
  run: (job: Claimed<Row>, shared: unknown) => Promise<Outcome>;
  /** Runs after every attempt of a batch and before their outcomes are written. */
  beforeFinish?: (orgId: string, shared: unknown) => Promise<void>;
  /** The columns of a row going back to wait for a retry. */
  retrying: (row: Row, w: RetryWrite) => Columns;
  /** Statements written with a retry (a message's timeline, say). */
  retryWrite?: (row: Row, w: RetryWrite) => Statement[];
  /** The columns of a row that failed for good (`reason` says why). */
  failed: (row: Row, reason: string) => Columns;
  /** Statements written with a failure (the activity log, say). */
  failedWrite?: (row: Row, reason: string) => Statement[];
  /** Runs once a failure is stored (marking the connection on an auth failure, say). */
  afterFailed?: (row: Row, error: unknown) => Promise<unknown>;
  /** Waiting rows whose queue message was lost, for `redrive()`. */
  stuck?: (now: number) => SQL | undefined;
}

/** What became of one queue delivery, for its consumer and its tests. */
export type RunResult =
  | { action: "ack"; status: string }
  | { action: "retry"; delaySeconds: number; reason: string }
  | { action: "dead-letter"; reason: string };

/** How attempts ended, as counted (`job_counters.outcome`). */
export type Counted = "succeeded" | "retried" | "failed" | "dead_lettered" | "superseded" | "crashed";

// biome-ignore lint/suspicious/noExplicitAny: a kind's row type is its own.
export type AnyJobKind = JobKind<any>;

/**
 * `due` and `dueAt` of a kind whose rows keep a retry's time in an ISO `next_attempt_at`: a
 * delivery that comes before it (a duplicate, an early re-drive) is rescheduled, not run.
 */
export function retryTime(column: SQLiteColumn) {
  return {
    // One second early is close enough.
    due: (now: number) => or(isNull(column), lte(column, new Date(now + 1_000).toISOString())),
    dueAt: (row: { nextAttemptAt: string | null }) =>
      row.nextAttemptAt ? Date.parse(row.nextAttemptAt) : null,
  };
}
