import { Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { HttpError } from '@app/http';

export interface ScimTokenView {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** The tenant a SCIM request acts for, from its bearer token. */
export interface ScimCaller {
  tokenId: string;
  tenantId: string;
  name: string;
}

interface ScimTokenRow {
  id: string;
  tenant_id: string;
  name: string;
  prefix: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const view = (r: ScimTokenRow): ScimTokenView => ({
  id: r.id,
  name: r.name,
  prefix: r.prefix,
  createdAt: r.created_at.toISOString(),
  lastUsedAt: r.last_used_at?.toISOString() ?? null,
  revokedAt: r.revoked_at?.toISOString() ?? null,
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** `mcscim_<43 base64url>` (256 random bits). */
const TOKEN_FORMAT = /^mcscim_[A-Za-z0-9_-]{43}$/;
const sha256hex = (s: string) => createHash('sha256').update(s).digest('hex');
/** last_used_at is written at most this often per token, not on every call of a sync run. */
const LAST_USED_RESOLUTION_SECONDS = 60;

/**
 * Bearer tokens identity providers use for SCIM, one or more per tenant.
 * Shown once when created; the database keeps a SHA-256 of the token (256
 * random bits, so a fast hash is enough) and a short prefix to tell them apart.
 */
@Injectable()
export class ScimTokensService {
  constructor(private readonly ds: DataSource) {}

  async list(tenantId: string): Promise<ScimTokenView[]> {
    const rows: ScimTokenRow[] = await this.ds.query(`SELECT * FROM scim_tokens WHERE tenant_id = $1 ORDER BY created_at DESC, id`, [tenantId]);
    return rows.map(view);
  }

  async create(tenantId: string, name: string, createdBy: string): Promise<ScimTokenView & { token: string }> {
    const token = `mcscim_${randomBytes(32).toString('base64url')}`;
    const prefix = token.slice(0, 13);
    const rows: ScimTokenRow[] = await this.ds.query(
      `INSERT INTO scim_tokens (tenant_id, name, token_sha256, prefix, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
      [tenantId, name, sha256hex(token), prefix, createdBy],
    );
    return { ...view(rows[0]), token };
  }

  /** Revoking twice is not an error; another tenant's token is not found. */
  async revoke(tenantId: string, id: string): Promise<ScimTokenView> {
    const rows: ScimTokenRow[] = UUID.test(id) ? await this.ds.query(`SELECT * FROM scim_tokens WHERE tenant_id = $1 AND id = $2`, [tenantId, id]) : [];
    if (!rows[0]) throw new HttpError(404, 'scim_token_not_found', `the tenant has no SCIM token ${id}`);
    if (rows[0].revoked_at) return view(rows[0]);
    const updated: [ScimTokenRow[], number] = await this.ds.query(`UPDATE scim_tokens SET revoked_at = now() WHERE tenant_id = $1 AND id = $2 RETURNING *`, [tenantId, id]);
    return view(updated[0][0]);
  }

  /** The caller behind a token, or null for an unknown, malformed or revoked one. */
  async authenticate(token: string): Promise<ScimCaller | null> {
    if (!TOKEN_FORMAT.test(token)) return null;
    const rows: ScimTokenRow[] = await this.ds.query(`SELECT * FROM scim_tokens WHERE token_sha256 = $1 AND revoked_at IS NULL`, [sha256hex(token)]);
    const row = rows[0];
    if (!row) return null;
    if (!row.last_used_at || Date.now() - row.last_used_at.getTime() > LAST_USED_RESOLUTION_SECONDS * 1000) {
      await this.ds.query(`UPDATE scim_tokens SET last_used_at = now() WHERE id = $1`, [row.id]);
    }
    return { tokenId: row.id, tenantId: row.tenant_id, name: row.name };
  }
}
