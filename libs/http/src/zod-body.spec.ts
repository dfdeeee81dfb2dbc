import { z } from 'zod';
import { describeZodError, ZodPipe } from './zod-body';

describe('describeZodError', () => {
  const schema = z.strictObject({ reason: z.string().min(1), limits: z.strictObject({ perHour: z.number().int() }).optional() });

  it('names a missing or wrong field by its path', () => {
    const r = schema.safeParse({ limits: { perHour: 1.5 } });
    expect(r.success).toBe(false);
    expect(describeZodError(r.error!).field).toBe('reason');
    const nested = schema.safeParse({ reason: 'x', limits: { perHour: 1.5 } });
    expect(describeZodError(nested.error!)).toMatchObject({ field: 'limits.perHour' });
  });

  it('names an unknown key, also inside a nested object', () => {
    expect(describeZodError(schema.safeParse({ reason: 'x', colour: 'red' }).error!).field).toBe('colour');
    expect(describeZodError(schema.safeParse({ reason: 'x', limits: { perHour: 1, perDay: 2 } }).error!).field).toBe('limits.perDay');
  });

  it('answers a 400 invalid_request that carries the field', () => {
    try {
      new ZodPipe(schema).transform({});
      throw new Error('expected a refusal');
    } catch (e) {
      const res = (e as { getResponse(): Record<string, unknown>; getStatus(): number });
      expect(res.getStatus()).toBe(400);
      expect(res.getResponse()).toMatchObject({ code: 'invalid_request', field: 'reason' });
    }
  });
});
