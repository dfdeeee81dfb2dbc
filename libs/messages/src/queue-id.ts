import { randomBytes } from 'node:crypto';

/** Crockford's base32: upper case, no I, L, O or U, so an id read aloud or from a log is unambiguous. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A queue id: 16 upper-case characters, the first 9 from the clock in
 * milliseconds (so ids sort roughly by arrival and a log reader can tell their
 * age) and the last 7 random (35 bits). Uniqueness is enforced by the
 * messages table; a collision within one millisecond is a 1-in-34-billion event
 * that fails the insert, not a silent overwrite.
 */
export function newQueueId(now: number = Date.now()): string {
  let time = '';
  let t = Math.floor(now);
  for (let i = 0; i < 9; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const rnd = randomBytes(7);
  let tail = '';
  for (let i = 0; i < 7; i++) tail += ALPHABET[rnd[i] % 32];
  return time + tail;
}

export const QUEUE_ID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{16}$/;
