import { stripNul } from './text-limits';

export const MAX_REFERENCES = 100;
const MAX_ID_CHARS = 998;

/**
 * Message-IDs are stored as they appear in headers, with angle brackets
 * (`<id@host>`), so Message-ID, In-Reply-To and References compare directly.
 * Tokens in brackets are taken; a header without any brackets is split on
 * whitespace and each word wrapped (some clients omit them).
 */
export function parseMessageIds(raw: string | string[] | null | undefined): string[] {
  if (raw == null) return [];
  const text = stripNul(Array.isArray(raw) ? raw.join(' ') : raw);
  const bracketed = text.match(/<[^<>\s]+>/g);
  const ids = bracketed ?? text.split(/[\s,]+/).filter((w) => w.includes('@')).map((w) => `<${w.replace(/^<|>$/g, '')}>`);
  const seen = new Set<string>();
  const out: string[] = [];
  for (const id of ids) {
    if (id.length > MAX_ID_CHARS || id.length < 3 || seen.has(id)) continue;
    seen.add(id);
    out.push(id);
  }
  return out;
}

export function parseMessageId(raw: string | string[] | null | undefined): string | null {
  return parseMessageIds(raw)[0] ?? null;
}

/**
 * References, bounded: the first id (the thread's root) and the most recent
 * ones (nearest ancestors) are what threading needs; the middle of a long
 * chain is dropped.
 */
export function parseReferences(raw: string | string[] | null | undefined, max = MAX_REFERENCES): string[] {
  const ids = parseMessageIds(raw);
  if (ids.length <= max) return ids;
  return [ids[0], ...ids.slice(ids.length - (max - 1))];
}
