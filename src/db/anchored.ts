/**
 * One organization's view of a shard database (src/db/shards.ts). Every sharded table's
 * `org_id` references `organizations(id)`, and D1 always enforces foreign keys, while the real
 * organization row lives in DB. So a shard keeps a stand-in row per organization (its id as
 * name and slug, nothing else), written with `INSERT OR IGNORE` in the same batch as every
 * insert this view makes: nothing has to be set up when an organization is mapped to a shard,
 * and deleting the stand-in (src/services/organizations.ts) deletes the organization's rows there
 * by the same cascade as in DB.
 *
 * The view also refuses to batch a statement prepared for another database: D1 would run it
 * here, silently, since a statement carries only its SQL.
 */

const ANCHOR_SQL = "insert or ignore into organizations (id, name, slug) values (?1, ?1, ?1)";

const isInsert = (sql: string) => /^\s*insert\b/i.test(sql);

class AnchoredStatement {
  constructor(
    readonly db: AnchoredDatabase,
    readonly inner: D1PreparedStatement,
    readonly insert: boolean,
  ) {}

  /**
   * What D1 reads of a statement it batches: a statement of this view batched on another
   * database (the mistake the view exists to catch) fails there instead of running.
   */
  get statement(): never {
    throw new Error(
      `a statement for ${this.db.binding} was batched on another database; run each database's statements on it (src/db/batch.ts)`,
    );
  }

  bind(...values: unknown[]): AnchoredStatement {
    return new AnchoredStatement(this.db, this.inner.bind(...values), this.insert);
  }

  run<T>(): Promise<D1Result<T>> {
    return this.insert ? this.db.anchoredRun<T>(this.inner) : this.inner.run<T>();
  }

  all<T>(): Promise<D1Result<T>> {
    return this.insert ? this.db.anchoredRun<T>(this.inner) : this.inner.all<T>();
  }

  async first<T>(colName?: string): Promise<T | null> {
    if (!this.insert) return colName === undefined ? this.inner.first<T>() : this.inner.first<T>(colName);
    const row = (await this.db.anchoredRun<Record<string, unknown>>(this.inner)).results[0];
    if (!row) return null;
    return (colName === undefined ? row : (row[colName] ?? null)) as T | null;
  }

  async raw<T = unknown[]>(options?: { columnNames?: boolean }): Promise<T[]> {
    if (!this.insert || options?.columnNames) {
      if (this.insert) await this.db.anchor().run();
      return this.inner.raw<T>(options as { columnNames?: false });
    }
    // Row objects keep the columns' order (drizzle reads batch results the same way).
    const { results } = await this.db.anchoredRun<Record<string, unknown>>(this.inner);
    return results.map((row) => Object.values(row) as T);
  }
}

class AnchoredDatabase {
  constructor(
    readonly inner: D1Database,
    readonly binding: string,
    readonly orgId: string,
  ) {}

  anchor(): D1PreparedStatement {
    return this.inner.prepare(ANCHOR_SQL).bind(this.orgId);
  }

  /** One insert, after the organization's stand-in row, in one batch. */
  async anchoredRun<T>(statement: D1PreparedStatement): Promise<D1Result<T>> {
    const [, result] = await this.inner.batch<T>([this.anchor(), statement]);
    return result as D1Result<T>;
  }

  prepare(query: string): AnchoredStatement {
    return new AnchoredStatement(this, this.inner.prepare(query), isInsert(query));
  }

  async batch<T>(statements: AnchoredStatement[]): Promise<D1Result<T>[]> {
    const inner = statements.map((s) => {
      if (!(s instanceof AnchoredStatement) || s.db !== this)
        throw new Error(
          `a statement for another database was batched on ${this.binding}; run each database's statements on it (src/db/batch.ts)`,
        );
      return s.inner;
    });
    if (!statements.some((s) => s.insert)) return this.inner.batch<T>(inner);
    const [, ...results] = await this.inner.batch<T>([this.anchor(), ...inner]);
    return results;
  }

  exec(query: string): Promise<D1ExecResult> {
    return this.inner.exec(query);
  }
}

/** `d1` (the binding `binding`) as organization `orgId` writes to it: see the module's header. */
export function anchored(d1: D1Database, binding: string, orgId: string): D1Database {
  return new AnchoredDatabase(d1, binding, orgId) as unknown as D1Database;
}
