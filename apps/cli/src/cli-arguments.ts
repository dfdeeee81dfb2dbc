import { InvalidArgumentError } from 'commander';

/**
 * Argument parsers for commander: they throw InvalidArgumentError, which
 * commander reports as a usage error naming the option.
 */
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `90`, `90s`, `15m`, `12h`, `5d` → seconds. */
export function parseDuration(value: string): number {
  const m = /^\s*(\d+)\s*([smhd]?)\s*$/i.exec(value);
  if (!m) throw new InvalidArgumentError(`"${value}" is not a duration (e.g. 3600, 90m, 12h, 5d)`);
  const seconds = Number(m[1]) * UNIT_SECONDS[(m[2] || 's').toLowerCase()];
  if (!Number.isSafeInteger(seconds)) throw new InvalidArgumentError(`"${value}" is too long`);
  return seconds;
}

export function parseInteger(value: string): number {
  if (!/^\s*-?\d+\s*$/.test(value)) throw new InvalidArgumentError(`"${value}" is not a whole number`);
  return Number(value);
}

export function oneOf<T extends string>(...allowed: T[]): (value: string) => T {
  return (value: string) => {
    if (!(allowed as string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${allowed.join(', ')}`);
    return value as T;
  };
}
