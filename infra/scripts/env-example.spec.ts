import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configSchema } from '@app/config';

/** .env.example is the configuration reference of the README: it must name every key, each with a comment. */
describe('.env.example', () => {
  const text = readFileSync(join(__dirname, '..', '..', '.env.example'), 'utf8');
  const lines = text.split('\n').filter((l) => /^[A-Z][A-Z0-9_]*=/.test(l));

  it('lists every configuration key exactly once, and nothing else', () => {
    const listed = lines.map((l) => l.split('=')[0]);
    expect([...listed].sort()).toEqual(Object.keys(configSchema.shape).sort());
    expect(new Set(listed).size).toBe(listed.length);
  });

  it('comments every key', () => {
    const bare = lines.filter((l) => !/\s#\s\S/.test(l) && !/^(DATABASE_URL|REDIS_URL)=/.test(l));
    expect(bare).toEqual([]);
  });

  it('shows the defaults the schema applies', () => {
    const defaults = configSchema.parse({}) as Record<string, unknown>;
    for (const line of lines) {
      const [key, rest] = [line.split('=')[0], line.slice(line.indexOf('=') + 1)];
      const value = rest.replace(/\s+#.*$/, '').trim();
      if (defaults[key] === undefined) expect(value).toBe('');
      else expect(value).toBe(String(defaults[key]));
    }
  });
});
