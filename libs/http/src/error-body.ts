import { HttpException } from '@nestjs/common';
import { DirectoryError, DirectoryErrorKind } from '@app/tenants/tenants.errors';

/** The one error body of every HTTP app (CONVENTIONS.md). */
export interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  /** The field a 400 is about, when there is one. */
  field?: string;
  details?: Record<string, unknown>;
}

export const STATUS_OF_KIND: Record<DirectoryErrorKind, number> = { invalid: 400, not_found: 404, conflict: 409, unverified: 422, unavailable: 503 };

const DEFAULT_CODE: Record<number, string> = { 400: 'invalid_request', 401: 'unauthenticated', 403: 'forbidden', 404: 'not_found', 405: 'method_not_allowed', 409: 'conflict', 413: 'too_large', 415: 'unsupported_media_type', 422: 'unprocessable', 429: 'rate_limited' };

/** An error that knows its HTTP status and stable code (domain libraries may throw these directly). */
export class HttpError extends Error {
  constructor(readonly statusCode: number, readonly code: string, message: string, readonly details?: Record<string, unknown>) {
    super(message);
    this.name = 'HttpError';
  }
}

/**
 * The body for a thrown error, or null when it is unexpected (the filter
 * logs it and answers 500 without details).
 */
export function errorBodyOf(e: unknown): ErrorBody | null {
  if (e instanceof HttpError) {
    const field = typeof e.details?.field === 'string' ? e.details.field : undefined;
    const rest = e.details ? Object.fromEntries(Object.entries(e.details).filter(([k]) => k !== 'field')) : {};
    return { statusCode: e.statusCode, code: e.code, message: e.message, ...(field ? { field } : {}), ...(Object.keys(rest).length ? { details: rest } : {}) };
  }
  if (e instanceof DirectoryError) return { statusCode: STATUS_OF_KIND[e.kind], code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) };
  if (e instanceof HttpException) {
    const status = e.getStatus();
    const r = e.getResponse();
    const b = typeof r === 'object' && r !== null ? (r as Record<string, unknown>) : {};
    // Nest's own errors carry message arrays or Express's wording; keep a string.
    const message = typeof b.message === 'string' ? b.message : Array.isArray(b.message) ? b.message.join('; ') : e.message;
    return {
      statusCode: status,
      code: typeof b.code === 'string' ? b.code : DEFAULT_CODE[status] ?? (status >= 500 ? 'internal' : 'http_error'),
      message,
      ...(typeof b.field === 'string' ? { field: b.field } : {}),
    };
  }
  // body-parser's errors (malformed JSON, too large) carry a status and a type.
  if (e && typeof e === 'object' && 'status' in e && typeof (e as { status: unknown }).status === 'number' && 'type' in e) {
    const status = (e as { status: number }).status;
    const type = String((e as { type: unknown }).type);
    if (status >= 400 && status < 500) {
      const message = type === 'entity.parse.failed' ? 'the body is not valid JSON' : type === 'entity.too.large' ? 'the body is too large' : `the body could not be read (${type})`;
      return { statusCode: status, code: type === 'entity.too.large' ? 'too_large' : 'invalid_request', message };
    }
  }
  return null;
}
