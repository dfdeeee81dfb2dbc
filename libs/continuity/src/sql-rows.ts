/** TypeORM answers an UPDATE or DELETE … RETURNING with [rows, count], anything else with rows. */
export function rowsOf<T = Record<string, unknown>>(res: unknown): T[] {
  return (Array.isArray(res) && Array.isArray(res[0]) ? res[0] : res) as T[];
}

/** Rows affected by an UPDATE or DELETE through TypeORM. */
export function affectedOf(res: unknown): number {
  return Array.isArray(res) && typeof res[1] === 'number' ? res[1] : 0;
}
