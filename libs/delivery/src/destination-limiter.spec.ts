import { DestinationLimiter } from './destination-limiter';

describe('DestinationLimiter', () => {
  it('lets at most max transactions run at once per destination and serves waiters in order', async () => {
    const l = new DestinationLimiter(2);
    const a = await l.acquire('mx.a', 1000);
    const b = await l.acquire('mx.a', 1000);
    const other = await l.acquire('mx.b', 1000);
    expect(a && b && other).toBeTruthy();
    expect(l.active('mx.a')).toBe(2);
    const order: string[] = [];
    const c = l.acquire('mx.a', 1000).then((r) => (order.push('c'), r));
    const d = l.acquire('mx.a', 1000).then((r) => (order.push('d'), r));
    a!();
    a!(); // a second call gives nothing back twice
    const rc = await c;
    expect(order).toEqual(['c']);
    expect(l.active('mx.a')).toBe(2);
    b!();
    const rd = await d;
    expect(order).toEqual(['c', 'd']);
    rc!();
    rd!();
    other!();
    expect(l.active('mx.a')).toBe(0);
  });

  it('gives up on a slot after the wait', async () => {
    const l = new DestinationLimiter(1);
    const a = await l.acquire('mx.a', 1000);
    expect(await l.acquire('mx.a', 20)).toBeNull();
    a!();
    expect(await l.acquire('mx.a', 20)).not.toBeNull();
  });

  it('allows one connection at a time while a destination asked us to slow down', async () => {
    let now = 1000;
    const l = new DestinationLimiter(10, () => now);
    l.slowDown('mx.a', 5000);
    expect(l.limitOf('mx.a')).toBe(1);
    const a = await l.acquire('mx.a', 1000);
    expect(await l.acquire('mx.a', 10)).toBeNull();
    a!();
    now = 6000;
    expect(l.limitOf('mx.a')).toBe(10);
  });
});
