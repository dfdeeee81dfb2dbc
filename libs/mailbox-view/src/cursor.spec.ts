import { decodeCursor, encodeCursor } from './cursor';

describe('list cursor', () => {
  it('round-trips the exact position, microseconds included', () => {
    const c = { receivedAt: '2026-12-01T10:00:00.123456Z', id: '3f1c0d1e-2b3a-4c5d-8e9f-0a1b2c3d4e5f' };
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
  });

  it.each(['', 'garbage', Buffer.from('2026-12-01T10:00:00Z|not-a-uuid').toString('base64url'), Buffer.from("x'; DROP TABLE messages;--|3f1c0d1e-2b3a-4c5d-8e9f-0a1b2c3d4e5f").toString('base64url')])(
    'refuses %j with a 400 naming the field',
    (raw) => {
      try {
        decodeCursor(raw);
        throw new Error('accepted');
      } catch (e) {
        expect((e as { getStatus?: () => number }).getStatus?.()).toBe(400);
        expect((e as { getResponse: () => { field: string } }).getResponse().field).toBe('cursor');
      }
    },
  );
});
