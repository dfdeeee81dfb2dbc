import { readFileSync } from 'node:fs';
import { useDnsServers, parseDnsServers } from '@app/dns';
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
  const smsProblems = smsConfigProblems(cfg);
  if (smsProblems.length) throw new ConfigError(`invalid configuration:\n${smsProblems.map((l) => `  ${l}`).join('\n')}`);
  if (!cfg.CREDENTIAL_HMAC_SECRET && cfg.NODE_ENV !== 'production') cfg.CREDENTIAL_HMAC_SECRET = DEVELOPMENT_CREDENTIAL_SECRET;
  try {
    parseDnsServers(cfg.DNS_SERVERS);
  } catch (e) {
    throw new ConfigError(`invalid configuration:\n  DNS_SERVERS: ${(e as Error).message}`);
  }
  // Process-wide, like the resolv.conf it replaces: every DNS port takes its resolver from @app/dns.
  useDnsServers(cfg.DNS_SERVERS);
  return cfg;
}

/** Used only when NODE_ENV is development or test, so a laptop runs without setup; production must set its own. */
export const DEVELOPMENT_CREDENTIAL_SECRET = 'development-only-credential-secret-do-not-use';

/** Keys the SMS feature needs together (Twilio credentials and a sender) and what production refuses. */
export function smsConfigProblems(cfg: AppConfig): string[] {
  const problems: string[] = [];
  if (cfg.NODE_ENV === 'production' && !cfg.CREDENTIAL_HMAC_SECRET) problems.push('CREDENTIAL_HMAC_SECRET: required in production (at least 32 characters)');
  if (cfg.NODE_ENV === 'production' && cfg.SMS_DRIVER === 'outbox') problems.push('SMS_DRIVER: outbox keeps codes in a local file; use twilio in production');
  if (cfg.SMS_DRIVER === 'twilio') {
    if (!cfg.TWILIO_ACCOUNT_SID) problems.push('TWILIO_ACCOUNT_SID: required when SMS_DRIVER=twilio');
    if (!cfg.TWILIO_AUTH_TOKEN) problems.push('TWILIO_AUTH_TOKEN: required when SMS_DRIVER=twilio');
    if (!cfg.TWILIO_FROM && !cfg.TWILIO_MESSAGING_SERVICE_SID) problems.push('TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID: one is required when SMS_DRIVER=twilio');
  }
  return problems;
}
