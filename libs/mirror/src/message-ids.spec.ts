import { parseMessageId, parseMessageIds, parseReferences } from './message-ids';

describe('message ids', () => {
  it('takes bracketed ids from a References header, folded or not', () => {
    expect(parseReferences('<a@x.example>\r\n <b@x.example> <c@x.example>')).toEqual(['<a@x.example>', '<b@x.example>', '<c@x.example>']);
  });

  it('accepts the array MailParser gives for several ids', () => {
    expect(parseReferences(['<a@x>', '<b@x>'])).toEqual(['<a@x>', '<b@x>']);
  });

  it('wraps ids written without brackets', () => {
    expect(parseMessageId('abc@host.example')).toBe('<abc@host.example>');
  });

  it('takes the first id of an In-Reply-To with comments', () => {
    expect(parseMessageId('<x1@h.example> (Bob\'s message of Monday)')).toBe('<x1@h.example>');
  });

  it('removes duplicates and junk', () => {
    expect(parseMessageIds('<a@x> <a@x> garbage <>')).toEqual(['<a@x>']);
    expect(parseMessageIds(undefined)).toEqual([]);
    expect(parseMessageId('no id here')).toBeNull();
  });

  it('keeps the root and the nearest ancestors of a long chain', () => {
    const raw = Array.from({ length: 300 }, (_, i) => `<m${i}@x>`).join(' ');
    const r = parseReferences(raw, 100);
    expect(r).toHaveLength(100);
    expect(r[0]).toBe('<m0@x>');
    expect(r[1]).toBe('<m201@x>');
    expect(r[99]).toBe('<m299@x>');
  });
});
