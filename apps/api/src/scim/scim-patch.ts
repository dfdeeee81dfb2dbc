import { ScimErrors } from './scim-error';
import { Filter, keyOf, matches, parsePatchPath, PatchPath } from './scim-filter';

/**
 * SCIM PATCH (RFC 7644 §3.5.2) applied to a resource as plain JSON. The
 * service turns the patched document back into directory fields with the same
 * code as POST and PUT, so there is one mapping, not three.
 *
 * Tolerates what identity providers really send: Entra's capitalised
 * "Replace"/"Add"/"Remove", path-less operations whose value keys are paths
 * ("name.givenName"), `Remove` of `members` with a value list instead of a
 * filter, and `replace emails[type eq "work"].value` when no work e-mail exists yet.
 */
export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export type PatchOpName = 'add' | 'replace' | 'remove';
export interface PatchOperation {
  op: PatchOpName;
  path?: string;
  value?: unknown;
}

type Obj = Record<string, unknown>;

const MULTI_VALUED = new Set(['emails', 'phonenumbers', 'members', 'addresses', 'ims', 'photos', 'entitlements', 'roles', 'x509certificates', 'groups']);
const READ_ONLY = new Set(['id', 'meta', 'schemas', 'groups']);

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks the PatchOp envelope and normalises each operation's name. */
export function readPatchRequest(body: unknown): PatchOperation[] {
  if (!isObject(body)) throw ScimErrors.invalidSyntax('the body must be a PatchOp object');
  const schemasKey = keyOf(body, 'schemas');
  const schemas = schemasKey ? body[schemasKey] : undefined;
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === PATCH_OP_SCHEMA.toLowerCase())) {
    throw ScimErrors.invalidSyntax(`schemas must contain ${PATCH_OP_SCHEMA}`);
  }
  const opsKey = keyOf(body, 'Operations');
  const ops = opsKey ? body[opsKey] : undefined;
  if (!Array.isArray(ops) || !ops.length) throw ScimErrors.invalidSyntax('Operations must be a non-empty array');
  return ops.map((raw, i) => {
    if (!isObject(raw)) throw ScimErrors.invalidSyntax(`Operations[${i}] must be an object`);
    const opKey = keyOf(raw, 'op');
    const op = typeof (opKey && raw[opKey]) === 'string' ? String(raw[opKey as string]).toLowerCase() : '';
    if (op !== 'add' && op !== 'replace' && op !== 'remove') throw ScimErrors.invalidSyntax(`Operations[${i}].op must be add, replace or remove`);
    const pathKey = keyOf(raw, 'path');
    const path = pathKey ? raw[pathKey] : undefined;
    if (path !== undefined && path !== null && typeof path !== 'string') throw ScimErrors.invalidPath(`Operations[${i}].path must be a string`);
    const valueKey = keyOf(raw, 'value');
    const value = valueKey ? raw[valueKey] : undefined;
    if (op !== 'remove' && value === undefined) throw ScimErrors.invalidValue(`Operations[${i}] (${op}) needs a value`);
    return { op, ...(typeof path === 'string' && path.trim() ? { path } : {}), ...(value !== undefined ? { value } : {}) };
  });
}

/** Applies the operations in order to a copy of `resource`. */
export function applyPatch(resource: Obj, ops: PatchOperation[]): Obj {
  const doc = structuredClone(resource);
  for (const op of ops) {
    if (op.path === undefined) {
      if (op.op === 'remove') throw ScimErrors.noTarget('remove needs a path');
      if (!isObject(op.value)) throw ScimErrors.invalidValue(`${op.op} without a path needs an object value`);
      for (const [k, v] of Object.entries(op.value)) {
        // `schemas` inside a path-less value is a description of the value, not a change.
        if (k.toLowerCase() === 'schemas') continue;
        const p = parsePatchPath(k);
        // An extension URN as the key holds an object of that extension's attributes.
        if (p.path.length === 1 && p.path[0].startsWith('urn:') && isObject(v)) {
          for (const [ek, ev] of Object.entries(v)) applyAt(doc, op.op, { path: [p.path[0], ...ek.toLowerCase().split('.')] }, ev);
          continue;
        }
        applyAt(doc, op.op, p, v);
      }
    } else {
      applyAt(doc, op.op, parsePatchPath(op.path), op.value);
    }
  }
  return doc;
}

/** The object that holds the last segment of `path`, created on the way when `create`. */
function parentOf(doc: Obj, path: string[], create: boolean): Obj | null {
  let cur: Obj = doc;
  for (const seg of path.slice(0, -1)) {
    const k = keyOf(cur, seg);
    const v = k === undefined ? undefined : cur[k];
    if (isObject(v)) {
      cur = v;
    } else {
      if (!create) return null;
      const fresh: Obj = {};
      cur[k ?? seg] = fresh;
      cur = fresh;
    }
  }
  return cur;
}

/** The simple `a eq "x" and b eq "y"` comparisons of a filter, to build the element it describes. */
function equalities(f: Filter): Obj | null {
  if (f.type === 'compare' && f.op === 'eq' && f.path.length === 1) return { [f.path[0]]: f.value };
  if (f.type === 'and') {
    const l = equalities(f.left);
    const r = equalities(f.right);
    return l && r ? { ...l, ...r } : null;
  }
  return null;
}

function sameValue(a: unknown, b: unknown): boolean {
  const va = isObject(a) ? a[keyOf(a, 'value') ?? 'value'] : a;
  const vb = isObject(b) ? b[keyOf(b, 'value') ?? 'value'] : b;
  if (va === undefined || vb === undefined) return JSON.stringify(a) === JSON.stringify(b);
  return String(va).toLowerCase() === String(vb).toLowerCase();
}

function applyAt(doc: Obj, op: PatchOpName, p: PatchPath, value: unknown): void {
  const top = p.path[0];
  if (p.path.length === 1 && READ_ONLY.has(top)) {
    if (top === 'schemas' || top === 'meta') return;
    throw ScimErrors.mutability(`${top} cannot be changed`);
  }
  const holder = parentOf(doc, p.path, op !== 'remove');
  if (!holder) return; // removing below something absent: nothing to do
  const last = p.path[p.path.length - 1];
  const key = keyOf(holder, last) ?? last;
  const multi = p.path.length === 1 && MULTI_VALUED.has(top);

  if (p.filter) {
    if (!multi) throw ScimErrors.invalidPath(`${top} is not multi-valued; a [filter] needs one`);
    const list = Array.isArray(holder[key]) ? (holder[key] as unknown[]) : [];
    const hit = (el: unknown) => isObject(el) && matches(el, p.filter as Filter);
    if (op === 'remove') {
      if (p.sub) {
        for (const el of list) if (hit(el)) delete (el as Obj)[keyOf(el as Obj, p.sub) ?? p.sub];
        holder[key] = list;
      } else {
        holder[key] = list.filter((el) => !hit(el));
      }
      return;
    }
    const targets = list.filter(hit) as Obj[];
    if (!targets.length) {
      // Entra replaces emails[type eq "work"].value on users that have no work e-mail yet: add one.
      const base = equalities(p.filter);
      if (!base) throw ScimErrors.noTarget(`no element of ${top} matches the filter`);
      const el: Obj = { ...base };
      if (p.sub) el[p.sub] = value;
      else if (isObject(value)) Object.assign(el, value);
      else throw ScimErrors.invalidValue(`the value for ${top}[…] must be an object`);
      list.push(el);
      holder[key] = list;
      return;
    }
    for (const el of targets) {
      if (p.sub) el[keyOf(el, p.sub) ?? p.sub] = value;
      else if (isObject(value)) Object.assign(el, value);
      else throw ScimErrors.invalidValue(`the value for ${top}[…] must be an object`);
    }
    holder[key] = list;
    return;
  }

  if (multi) {
    const current = Array.isArray(holder[key]) ? (holder[key] as unknown[]) : [];
    const given = value === undefined || value === null ? [] : Array.isArray(value) ? value : [value];
    if (op === 'add') {
      const next = [...current];
      for (const v of given) if (!next.some((c) => sameValue(c, v))) next.push(v);
      holder[key] = next;
    } else if (op === 'replace') {
      holder[key] = [...given];
    } else if (given.length) {
      // Entra: {"op":"Remove","path":"members","value":[{"value":"<id>"}]}
      holder[key] = current.filter((c) => !given.some((v) => sameValue(c, v)));
    } else {
      delete holder[key];
    }
    return;
  }

  if (op === 'remove') {
    delete holder[key];
    return;
  }
  const existing = holder[key];
  // A complex attribute (name) takes the sub-attributes given and keeps the rest.
  if (isObject(existing) && isObject(value)) holder[key] = { ...existing, ...value };
  else holder[key] = value;
}
