import { CommanderError } from 'commander';
import { DirectoryError, DirectoryErrorKind } from '@app/tenants/tenants.errors';

/**
 * Exit codes, stable for scripts (README "Operations" lists them):
 * 0 done; 1 unexpected failure; 2 usage or invalid input; 3 not found;
 * 4 already exists or in use; 5 domain not (yet) verified; 6 a dependency
 * (Postgres, DNS) is unavailable, try again; 7 import done but some rows refused.
 */
export const ExitCode = { ok: 0, failure: 1, invalid: 2, notFound: 3, conflict: 4, unverified: 5, unavailable: 6, partialImport: 7 } as const;

const BY_KIND: Record<DirectoryErrorKind, number> = {
  invalid: ExitCode.invalid,
  not_found: ExitCode.notFound,
  conflict: ExitCode.conflict,
  unverified: ExitCode.unverified,
  unavailable: ExitCode.unavailable,
};

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', '57P03']);

export interface CliFailure {
  exitCode: number;
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** What to tell the operator about an error, and how to exit. */
export function describeFailure(e: unknown): CliFailure {
  if (e instanceof DirectoryError) return { exitCode: BY_KIND[e.kind], code: e.code, message: e.message, details: e.details };
  if (e instanceof CommanderError) return { exitCode: ExitCode.invalid, code: 'usage', message: e.message.replace(/^error: /, '') };
  const err = e as NodeJS.ErrnoException & { errors?: Array<NodeJS.ErrnoException> };
  const code = err?.code ?? err?.errors?.[0]?.code;
  if (code && UNREACHABLE.has(code)) {
    return { exitCode: ExitCode.unavailable, code: 'database_unavailable', message: `cannot reach Postgres (${code}); is it running, and is DATABASE_URL right?` };
  }
  if (code === '3D000') return { exitCode: ExitCode.unavailable, code: 'database_missing', message: `${err.message}; run "npm run cli -- migrate" first` };
  if (code === '42P01') return { exitCode: ExitCode.unavailable, code: 'schema_missing', message: `${err.message}; run "npm run cli -- migrate" first` };
  return { exitCode: ExitCode.failure, code: 'internal', message: e instanceof Error ? e.message : String(e) };
}

/** Prints a result: JSON when asked for, else the human text. */
export class Output {
  constructor(private readonly json: boolean) {}

  result(value: unknown, text: string | string[]): void {
    if (this.json) process.stdout.write(JSON.stringify(value, null, 2) + '\n');
    else process.stdout.write((Array.isArray(text) ? text.join('\n') : text) + '\n');
  }

  failure(f: CliFailure): void {
    if (this.json) process.stderr.write(JSON.stringify({ error: { code: f.code, message: f.message, ...(f.details ? { details: f.details } : {}) } }) + '\n');
    else process.stderr.write(`error: ${f.message} [${f.code}]\n`);
  }
}

/** A plain table for terminals: columns padded to their widest cell. */
export function table(header: string[], rows: Array<Array<string | number | null | undefined>>): string[] {
  const cells = [header, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '' : String(c))))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return cells.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());
}
