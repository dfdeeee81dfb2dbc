import { X509Certificate } from 'node:crypto';
import type { Tenant, Upstream, UpstreamGroup } from '@app/tenants';

/** What the admin API shows of tenants and their upstreams (JSON-ready). */
export interface TenantView {
  id: string;
  name: string;
  slug: string;
  mode: Tenant['mode'];
  language: Tenant['language'];
  unknownRecipientPolicy: Tenant['unknownRecipientPolicy'];
  rollingWindowDays: number;
  deliveryLifetimeSeconds: number;
  createdAt: Date;
  updatedAt: Date;
}

export function tenantView(t: Tenant): TenantView {
  return {
    id: t.id,
    name: t.name,
    slug: t.slug,
    mode: t.mode,
    language: t.language,
    unknownRecipientPolicy: t.unknownRecipientPolicy,
    rollingWindowDays: t.rollingWindowDays,
    deliveryLifetimeSeconds: t.deliveryLifetimeSeconds,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
}

export interface UpstreamView {
  id: string;
  groupId: string;
  host: string;
  port: number;
  priority: number;
  tlsPolicy: Upstream['tlsPolicy'];
  /** SHA-256 fingerprint of the pinned certificate (AA:BB:…), its subject and expiry. */
  pinnedCertSha256: string | null;
  pinnedCertSubject: string | null;
  pinnedCertValidTo: string | null;
  /**
   * Read-only: an operator set a host that is not on the public internet, so
   * connections may go to private addresses. Otherwise the addresses a host
   * name resolves to are checked at every connection, and a non-public one is refused.
   */
  privateAddressAllowed: boolean;
  createdAt: Date;
}

export function upstreamView(u: Upstream): UpstreamView {
  let cert: X509Certificate | null = null;
  try {
    cert = u.pinnedCertPem ? new X509Certificate(u.pinnedCertPem) : null;
  } catch {
    cert = null;
  }
  return {
    id: u.id,
    groupId: u.groupId,
    host: u.host,
    port: u.port,
    priority: u.priority,
    tlsPolicy: u.tlsPolicy,
    pinnedCertSha256: cert?.fingerprint256 ?? null,
    pinnedCertSubject: cert?.subject.replace(/\n/g, ', ') ?? null,
    pinnedCertValidTo: cert ? new Date(cert.validTo).toISOString() : null,
    privateAddressAllowed: u.privateAddressAllowed,
    createdAt: u.createdAt,
  };
}

export interface UpstreamGroupView {
  id: string;
  name: string;
  createdAt: Date;
  upstreams: UpstreamView[];
}

export function upstreamGroupView(g: UpstreamGroup & { upstreams: Upstream[] }): UpstreamGroupView {
  return { id: g.id, name: g.name, createdAt: g.createdAt, upstreams: g.upstreams.map(upstreamView) };
}
