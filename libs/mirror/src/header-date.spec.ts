import { parseHeaderDate, saneHeaderDate } from './header-date';

describe('saneHeaderDate', () => {
  const received = new Date('2025-06-01T12:00:00Z');

  it('keeps a plausible date', () => {
    const d = new Date('2025-06-01T11:58:00+02:00');
    expect(saneHeaderDate(d, received)).toBe(d);
  });

  it('allows clock skew of up to a day ahead', () => {
    expect(saneHeaderDate(new Date('2025-06-02T11:00:00Z'), received)).not.toBeNull();
    expect(saneHeaderDate(new Date('2025-06-02T13:00:00Z'), received)).toBeNull();
  });

  it('drops missing, invalid and prehistoric dates', () => {
    expect(saneHeaderDate(undefined, received)).toBeNull();
    expect(saneHeaderDate(new Date('garbage'), received)).toBeNull();
    expect(saneHeaderDate(new Date(0), received)).toBeNull();
  });
});

describe('parseHeaderDate', () => {
  it('reads RFC 5322 dates, with or without a zone comment', () => {
    expect(parseHeaderDate('Tue, 04 Mar 2025 10:15:00 +0100')?.toISOString()).toBe('2025-03-04T09:15:00.000Z');
    expect(parseHeaderDate('Tue, 4 Mar 2025 10:15:00 +0100 (CET)')?.toISOString()).toBe('2025-03-04T09:15:00.000Z');
  });

  it('gives null, not "now", for an unreadable date', () => {
    expect(parseHeaderDate('not a date at all')).toBeNull();
    expect(parseHeaderDate('')).toBeNull();
    expect(parseHeaderDate(undefined)).toBeNull();
  });
});
