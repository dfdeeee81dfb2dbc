import { InvalidArgumentError } from 'commander';
import { oneOf, parseDuration, parseInteger } from './cli-arguments';

describe('parseDuration', () => {
  it.each([['3600', 3600], ['90s', 90], ['15m', 900], ['12h', 43200], ['5d', 432000], [' 2D ', 172800]])('%j is %d s', (input, seconds) => {
    expect(parseDuration(input)).toBe(seconds);
  });
  it.each(['', '5 days', '1.5h', '-1d', 'd'])('refuses %j', (input) => {
    expect(() => parseDuration(input)).toThrow(InvalidArgumentError);
  });
});

describe('parseInteger and oneOf', () => {
  it('parses whole numbers only', () => {
    expect(parseInteger('25')).toBe(25);
    expect(() => parseInteger('25x')).toThrow(InvalidArgumentError);
  });
  it('accepts only the listed values', () => {
    expect(oneOf('verify', 'pinned', 'none')('none')).toBe('none');
    expect(() => oneOf('verify', 'pinned')('off')).toThrow('must be one of verify, pinned');
  });
});
