import { AuditEntry, auditCsv, csvField, mergeNewestFirst, transitionEntry } from './audit-log';

const entry = (source: 'continuity' | 'admin', ms: number, action = 'x'): AuditEntry => ({ at: new Date(ms), source, action, actor: 'a', target: null, reason: null, details: {} });

describe('mergeNewestFirst', () => {
  const a = [entry('continuity', 50), entry('continuity', 30), entry('continuity', 10)];
  const b = [entry('admin', 40), entry('admin', 30), entry('admin', 20)];

  it('interleaves by time, newest first, continuity first on a tie', () => {
    const all = mergeNewestFirst(a, b, 0, 10);
    expect(all.map((e) => `${e.source[0]}${e.at.getTime()}`)).toEqual(['c50', 'a40', 'c30', 'a30', 'a20', 'c10']);
  });

  it('pages', () => {
    expect(mergeNewestFirst(a, b, 2, 2).map((e) => e.at.getTime())).toEqual([30, 30]);
    expect(mergeNewestFirst(a, b, 6, 2)).toEqual([]);
  });

  it('works with one side empty', () => {
    expect(mergeNewestFirst([], b, 1, 5).map((e) => e.at.getTime())).toEqual([30, 20]);
  });
});

describe('transitionEntry', () => {
  it('names the action after the event and keeps the modes', () => {
    const e = transitionEntry({ id: 't1', fromMode: 'normal', toMode: 'active', event: 'activate', actor: 'admin:ann@example.com', reason: 'Exchange is down', drillMailboxIds: null, createdAt: new Date(0) });
    expect(e).toMatchObject({ source: 'continuity', action: 'continuity.activate', target: 'transition:t1', reason: 'Exchange is down', details: { fromMode: 'normal', toMode: 'active' } });
  });
});

describe('CSV', () => {
  it('quotes separators, quotes and line breaks', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('plain')).toBe('plain');
  });

  it('defuses values a spreadsheet would run as formulas', () => {
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
  });

  it('writes a header and one line per entry', () => {
    const csv = auditCsv([{ ...entry('admin', 0, 'queue.purge'), reason: 'spam, flood', details: { n: 1 } }]);
    expect(csv.split('\r\n')).toEqual(['at,source,action,actor,target,reason,details', '1970-01-01T00:00:00.000Z,admin,queue.purge,a,,"spam, flood","{""n"":1}"', '']);
  });
});
