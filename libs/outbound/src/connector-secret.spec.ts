import { generateConnectorSecret, hashConnectorSecret, verifyConnectorSecret } from './connector-secret';

describe('connector secrets', () => {
  const cheap = { log2N: 10, r: 8, p: 1 };

  it('verifies the right secret and refuses a wrong one', async () => {
    const stored = await hashConnectorSecret('correct horse', cheap);
    expect(stored).toMatch(/^scrypt\$10\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(stored).not.toContain('correct horse');
    await expect(verifyConnectorSecret('correct horse', stored)).resolves.toBe(true);
    await expect(verifyConnectorSecret('correct horsf', stored)).resolves.toBe(false);
  });

  it('salts every hash, so equal secrets do not give equal hashes', async () => {
    expect(await hashConnectorSecret('same', cheap)).not.toBe(await hashConnectorSecret('same', cheap));
  });

  it('never matches a malformed or tampered stored hash', async () => {
    const stored = await hashConnectorSecret('x', cheap);
    for (const bad of ['', 'plain', stored.replace('scrypt', 'md5'), stored.replace('$10$', '$40$'), stored.slice(0, -4)]) {
      await expect(verifyConnectorSecret('x', bad)).resolves.toBe(false);
    }
  });

  it('generates long URL-safe secrets', () => {
    const s = generateConnectorSecret();
    expect(s).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(generateConnectorSecret()).not.toBe(s);
  });
});
