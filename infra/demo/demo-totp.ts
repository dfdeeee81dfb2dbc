import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { authenticator } from 'otplib';
import { loadConfig } from '@app/config';

/**
 * `node dist/infra/demo/demo-totp.js`: the current TOTP codes of the demo's
 * console accounts, from the secrets the demo seed enrolled. Demo only.
 */
function main(): void {
  const file = join(loadConfig().DATA_DIR, 'demo', 'totp.json');
  let secrets: Record<string, string>;
  try {
    secrets = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    process.stderr.write(`no demo TOTP secrets in ${file}: start the demo first (npm run demo)\n`);
    process.exit(1);
  }
  const left = 30 - (Math.floor(Date.now() / 1000) % 30);
  for (const [email, secret] of Object.entries(secrets)) process.stdout.write(`${email.padEnd(32)} ${authenticator.generate(secret)}\n`);
  process.stdout.write(`(valid for another ${left} s)\n`);
}

main();
