import type { DataSource } from 'typeorm';

/** What node-postgres answers; `rowCount` counts the rows an INSERT, UPDATE or DELETE touched. */
export interface PreparedResult<T> {
  rows: T[];
  rowCount: number;
}

interface PgPool {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

/**
 * Runs one statement of the mail path as a named prepared statement on the
 * DataSource's own connection pool (autocommit, like DataSource.query).
 * Postgres then parses each such statement once per connection and, after a
 * few runs, keeps its plan: for the per-message statements (recipient lookup,
 * acceptance, claim, outcome) planning cost more server CPU than running
 * them. `name` must be unique per text. A prepared statement is re-planned
 * by Postgres itself when a migration changes a table it uses; a pooler in
 * transaction mode between us and Postgres would not keep it (we connect
 * directly).
 */
export async function preparedQuery<T>(ds: DataSource, name: string, text: string, values: unknown[]): Promise<PreparedResult<T>> {
  const pool = (ds.driver as unknown as { master?: PgPool }).master;
  if (!pool || typeof pool.query !== 'function') throw new Error('preparedQuery needs the postgres driver of TypeORM');
  const r = await pool.query({ name, text, values });
  return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 };
}
