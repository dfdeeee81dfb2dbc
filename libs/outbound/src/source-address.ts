import { isIP } from 'node:net';

/** `::ffff:192.0.2.1` (an IPv4 client on a dual-stack socket) is compared as `192.0.2.1`. */
export function canonicalClientAddress(ip: string | undefined | null): string | null {
  if (!ip) return null;
  const bare = ip.toLowerCase().startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
  return isIP(bare) ? bare.toLowerCase() : null;
}

/**
 * Checks a network given by an operator (`192.0.2.7`, `192.0.2.0/28`,
 * `2001:db8::/64`) before Postgres' cidr type sees it, so a typo is refused
 * with a reason; a bare address means that one host. Networks wider than a
 * /8 (IPv4) or /16 (IPv6) are refused: trusting them would make us an open
 * relay for everyone inside. Host bits are checked for IPv4 here and by
 * Postgres for IPv6.
 */
export function parseCidr(raw: string): { ok: true; cidr: string } | { ok: false; reason: string } {
  const s = raw.trim();
  const parts = s.split('/');
  if (parts.length > 2) return { ok: false, reason: `"${raw}" is not a network` };
  const [addr, lenRaw] = parts;
  const family = isIP(addr);
  if (!family) return { ok: false, reason: `"${addr}" is not an IP address` };
  const max = family === 4 ? 32 : 128;
  if (lenRaw !== undefined && !/^\d{1,3}$/.test(lenRaw)) return { ok: false, reason: `"${raw}" has an invalid prefix length` };
  const len = lenRaw === undefined ? max : Number(lenRaw);
  if (len > max) return { ok: false, reason: `"${raw}" has an invalid prefix length` };
  if (len < (family === 4 ? 8 : 16)) return { ok: false, reason: `"${raw}" is too wide a network to trust as a tenant's mail server` };
  if (family === 4) {
    const n = addr.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
    const mask = len === 0 ? 0 : 2 ** 32 - 2 ** (32 - len);
    const net = Number((BigInt(n) & BigInt(mask)).toString());
    if (net !== n) {
      const dotted = [24, 16, 8, 0].map((sh) => (net / 2 ** sh) & 0xff).join('.');
      return { ok: false, reason: `"${raw}" has host bits set; did you mean ${dotted}/${len}?` };
    }
  }
  return { ok: true, cidr: `${addr.toLowerCase()}/${len}` };
}
