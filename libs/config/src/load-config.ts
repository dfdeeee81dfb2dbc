import { readFileSync } from 'node:fs';
import { configSchema, AppConfig } from './config.schema';

export class ConfigError extends Error {}

/**
 * Reads the environment, resolving `<KEY>_FILE` indirections (for secrets kept
 * in files, as container platforms mount them), and validates it.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const raw: Record<string, string | undefined> = {};
  for (const key of Object.keys(configSchema.shape)) {
    const fileKey = `${key}_FILE`;
    if (env[fileKey]) {
      raw[key] = readFileSync(env[fileKey] as string, 'utf8').trim();
    } else if (env[key] !== undefined && env[key] !== '') {
      raw[key] = env[key];
    }
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const cfg = parsed.data;
  if ((cfg.MX_TLS_CERT_FILE && !cfg.MX_TLS_KEY_FILE) || (!cfg.MX_TLS_CERT_FILE && cfg.MX_TLS_KEY_FILE)) {
    throw new ConfigError('invalid configuration:\n  MX_TLS_CERT_FILE and MX_TLS_KEY_FILE must be set together');
  }
  if (cfg.RETRY_MAX_SECONDS < cfg.RETRY_BASE_SECONDS) {
    throw new ConfigError('invalid configuration:\n  RETRY_MAX_SECONDS must be >= RETRY_BASE_SECONDS');
  }
  return cfg;
}
