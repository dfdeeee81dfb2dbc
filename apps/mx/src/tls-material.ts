import { readFile } from 'node:fs/promises';
import selfsigned from 'selfsigned';
import type { AppConfig } from '@app/config';

export interface TlsMaterial {
  key: string;
  cert: string;
  /** True when made at start-up: fine for development, a configured certificate belongs in production. */
  generated: boolean;
}
export const TLS_MATERIAL = Symbol('TLS_MATERIAL');

/** The configured certificate, or a self-signed one for MX_HOSTNAME generated now. */
export async function loadTlsMaterial(cfg: Pick<AppConfig, 'MX_TLS_CERT_FILE' | 'MX_TLS_KEY_FILE' | 'MX_HOSTNAME'>): Promise<TlsMaterial> {
  if (cfg.MX_TLS_CERT_FILE && cfg.MX_TLS_KEY_FILE) {
    const [cert, key] = await Promise.all([readFile(cfg.MX_TLS_CERT_FILE, 'utf8'), readFile(cfg.MX_TLS_KEY_FILE, 'utf8')]);
    return { cert, key, generated: false };
  }
  const pems = await selfsigned.generate([{ name: 'commonName', value: cfg.MX_HOSTNAME }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 365 * 86400_000),
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: cfg.MX_HOSTNAME }] }],
  });
  return { cert: pems.cert, key: pems.private, generated: true };
}
