import { percentile, ratio, spread } from './stats';

describe('bench statistics', () => {
  it('takes the nearest-rank percentile', () => {
    const v = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
    expect(percentile(v, 50)).toBe(50);
    expect(percentile(v, 99)).toBe(99);
    expect(percentile(v, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('gives min, median and max over the runs that produced a figure', () => {
    expect(spread([3, 1, 2])).toEqual({ min: 1, median: 2, max: 3, n: 3 });
    expect(spread([4, 1, NaN, 2, 3])).toEqual({ min: 1, median: 2.5, max: 4, n: 4 });
    expect(spread([NaN]).n).toBe(0);
  });

  it('has no ratio without both figures', () => {
    expect(ratio(2, 4)).toBe(0.5);
    expect(ratio(2, 0)).toBeNaN();
    expect(ratio(NaN, 4)).toBeNaN();
  });
});
