import { BadRequestException } from '@nestjs/common';

/**
 * A keyset position in a newest-first list: the last item's arrival time
 * (as Postgres wrote it, microseconds included, so no row is skipped or
 * repeated) and its entry id as the tie-breaker. Opaque to clients.
 */
export interface ListCursor {
  receivedAt: string;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

export function encodeCursor(c: ListCursor): string {
  return Buffer.from(`${c.receivedAt}|${c.id}`, 'utf8').toString('base64url');
}

/** The cursor a client sent back; anything else is a 400 naming the field. */
export function decodeCursor(raw: string): ListCursor {
  const text = Buffer.from(raw, 'base64url').toString('utf8');
  const [receivedAt, id, extra] = text.split('|');
  if (extra !== undefined || !receivedAt || !id || !TIMESTAMP.test(receivedAt) || !UUID.test(id)) {
    throw new BadRequestException({ statusCode: 400, code: 'invalid_request', message: 'cursor: not a cursor this server gave out', field: 'cursor' });
  }
  return { receivedAt, id };
}

export function isUuid(v: string): boolean {
  return UUID.test(v);
}
