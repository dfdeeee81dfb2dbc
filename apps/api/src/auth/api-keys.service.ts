import { Injectable } from '@nestjs/common';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { DataSource } from 'typeorm';
import { HttpError } from '@app/http';
import { Principal } from './principal';
import { isUuid, returnedRows } from '@app/admin-access';

export interface ApiKeyView {
  id: string;
  name: string;
  role: 'admin' | 'viewer';
  prefix: string;
  createdBy: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

interface ApiKeyRow {
  id: string;
  tenant_id: string;
  name: string;
  role: 'admin' | 'viewer';
  prefix: string;
  secret_hash: Buffer;
  created_by_name: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const view = (r: ApiKeyRow): ApiKeyView => ({
  id: r.id,
  name: r.name,
  role: r.role,
  prefix: r.prefix,
  createdBy: r.created_by_name,
  createdAt: r.created_at.toISOString(),
  lastUsedAt: r.last_used_at?.toISOString() ?? null,
  revokedAt: r.revoked_at?.toISOString() ?? null,
});

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/** `mcak_<8 hex>_<43 base64url>`: the first part is shown and indexed, the whole is only hashed. */
const KEY_FORMAT = /^(mcak_[0-9a-f]{8})_[A-Za-z0-9_-]{43}$/;

/**
 * Per-tenant API keys for automation. A key is shown once, when created; the
 * database keeps its visible prefix and a sha256 of the whole key (high
 * entropy, so a fast hash is enough).
 */
@Injectable()
export class ApiKeysService {
  constructor(private readonly ds: DataSource) {}

  async list(tenantId: string): Promise<ApiKeyView[]> {
    const rows: ApiKeyRow[] = await this.ds.query(`SELECT * FROM api_keys WHERE tenant_id = $1 ORDER BY created_at DESC`, [tenantId]);
    return rows.map(view);
  }

  async create(tenantId: string, name: string, role: 'admin' | 'viewer', by: Principal): Promise<ApiKeyView & { secret: string }> {
    const prefix = `mcak_${randomBytes(4).toString('hex')}`;
    const secret = `${prefix}_${randomBytes(32).toString('base64url')}`;
    const rows: ApiKeyRow[] = await this.ds.query(
      `INSERT INTO api_keys (tenant_id, name, role, prefix, secret_hash, created_by, created_by_name) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
      [tenantId, name.trim(), role, prefix, sha256(secret), by.kind === 'session' ? by.subjectId : null, by.name],
    );
    return { ...view(rows[0]), secret };
  }

  /** Revokes a key of this tenant; another tenant's key id is not found. */
  async revoke(tenantId: string, id: string): Promise<ApiKeyView> {
    const rows = isUuid(id)
      ? returnedRows<ApiKeyRow>(
          await this.ds.query(`UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 AND tenant_id = $2 RETURNING *`, [id, tenantId]),
        )
      : [];
    if (!rows[0]) throw new HttpError(404, 'api_key_not_found', 'no such API key in this tenant');
    return view(rows[0]);
  }

  /** The principal a presented key stands for, or null (unknown, malformed or revoked). */
  async authenticate(presented: string): Promise<Principal | null> {
    const m = KEY_FORMAT.exec(presented);
    if (!m) return null;
    const rows: ApiKeyRow[] = await this.ds.query(`SELECT * FROM api_keys WHERE prefix = $1 AND revoked_at IS NULL`, [m[1]]);
    const row = rows[0];
    if (!row || !timingSafeEqual(row.secret_hash, sha256(presented))) return null;
    if (!row.last_used_at || Date.now() - row.last_used_at.getTime() > 60_000) {
      await this.ds.query(`UPDATE api_keys SET last_used_at = now() WHERE id = $1`, [row.id]);
    }
    return { kind: 'api_key', subjectId: row.id, role: row.role, tenantId: row.tenant_id, name: `API key ${row.name} (${row.prefix})` };
  }
}
