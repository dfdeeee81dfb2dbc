import { blobGraceCutoff, isOrphanAged, isRetentionSuspended, mirrorCutoff, queueIdOfBlobKey } from './retention-policy';

describe('retention policy', () => {
  const now = new Date('2025-06-30T12:00:00Z');

  it('suspends retention while continuity is active or recovering, and for unknown modes', () => {
    expect(isRetentionSuspended('normal')).toBe(false);
    expect(isRetentionSuspended('drill')).toBe(false);
    expect(isRetentionSuspended('active')).toBe(true);
    expect(isRetentionSuspended('recovering')).toBe(true);
    expect(isRetentionSuspended('something-new')).toBe(true);
  });

  it('puts the mirror cut-off the window before now', () => {
    expect(mirrorCutoff(now, 30).toISOString()).toBe('2025-05-31T12:00:00.000Z');
    expect(mirrorCutoff(now, 1).toISOString()).toBe('2025-06-29T12:00:00.000Z');
  });

  it('refuses a window that would purge everything', () => {
    expect(() => mirrorCutoff(now, 0)).toThrow();
    expect(() => mirrorCutoff(now, 1.5)).toThrow();
  });

  it('puts the blob grace cut-off the grace period before now', () => {
    expect(blobGraceCutoff(now, 86400).toISOString()).toBe('2025-06-29T12:00:00.000Z');
    expect(blobGraceCutoff(now, 0)).toEqual(now);
  });

  it('calls a blob an orphan candidate only when older than the age', () => {
    expect(isOrphanAged(new Date(now.getTime() - 3601_000), now, 3600)).toBe(true);
    expect(isOrphanAged(new Date(now.getTime() - 3599_000), now, 3600)).toBe(false);
  });

  it('reads the queue id from a blob key', () => {
    expect(queueIdOfBlobKey('5b0c-11/ABCDEF12')).toBe('ABCDEF12');
    expect(queueIdOfBlobKey('nokey')).toBeNull();
    expect(queueIdOfBlobKey('a/b/c')).toBeNull();
  });
});
