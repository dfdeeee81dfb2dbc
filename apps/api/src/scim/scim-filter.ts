import { ScimErrors } from './scim-error';

/**
 * SCIM filters (RFC 7644 §3.4.2.2) and PATCH paths (§3.5.2), parsed into a
 * small tree and evaluated against a resource as plain JSON. Attribute names
 * are case-insensitive; a core schema URN in front of a name is dropped
 * (`urn:ietf:params:scim:schemas:core:2.0:User:userName` is `userName`),
 * an extension URN is kept as the first path segment.
 */

export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
export type Literal = string | number | boolean | null;

/** An attribute path, lower-cased: `['name', 'givenname']`, `['urn:…:enterprise:2.0:user', 'employeenumber']`. */
export type AttrPath = string[];

export type Filter =
  | { type: 'compare'; path: AttrPath; op: CompareOp; value: Literal }
  | { type: 'present'; path: AttrPath }
  | { type: 'and' | 'or'; left: Filter; right: Filter }
  | { type: 'not'; filter: Filter }
  /** `emails[type eq "work"]`: some element of the multi-valued attribute matches. */
  | { type: 'valuePath'; path: AttrPath; filter: Filter };

/** A PATCH target: `members`, `name.givenName`, `emails[type eq "work"].value`, `members[value eq "…"]`. */
export interface PatchPath {
  path: AttrPath;
  filter?: Filter;
  /** The sub-attribute after a value filter. */
  sub?: string;
}

const CORE_URNS = ['urn:ietf:params:scim:schemas:core:2.0:user', 'urn:ietf:params:scim:schemas:core:2.0:group'];
const OPS = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);
/** Compared case-sensitively (RFC 7643 caseExact); everything else ignores case. */
const CASE_EXACT = new Set(['id', 'externalid']);

type Token = { kind: 'word'; text: string; pos: number } | { kind: 'string'; text: string; pos: number } | { kind: '(' | ')' | '[' | ']'; pos: number } | { kind: 'end'; pos: number };

function tokenize(input: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '(' || c === ')' || c === '[' || c === ']') {
      out.push({ kind: c, pos: i });
      i++;
    } else if (c === '"') {
      let j = i + 1;
      while (j < input.length && input[j] !== '"') j += input[j] === '\\' ? 2 : 1;
      if (j >= input.length) throw ScimErrors.invalidFilter(`unterminated string at ${i + 1}`);
      let text: string;
      try {
        text = JSON.parse(input.slice(i, j + 1)) as string;
      } catch {
        throw ScimErrors.invalidFilter(`bad escape in the string at ${i + 1}`);
      }
      out.push({ kind: 'string', text, pos: i });
      i = j + 1;
    } else {
      let j = i;
      while (j < input.length && !/[\s()[\]"]/.test(input[j])) j++;
      out.push({ kind: 'word', text: input.slice(i, j), pos: i });
      i = j;
    }
  }
  out.push({ kind: 'end', pos: input.length });
  return out;
}

/** `name.givenName` → ['name','givenname']; URN prefixes handled as described above. */
export function parseAttrPath(raw: string): AttrPath {
  const lower = raw.toLowerCase();
  if (!/^[a-z0-9:._$-]+$/i.test(raw) || !raw) throw ScimErrors.invalidPath(`"${raw}" is not an attribute name`);
  if (lower.startsWith('urn:')) {
    for (const urn of CORE_URNS) {
      if (lower === urn) return [];
      if (lower.startsWith(`${urn}:`)) return parseAttrPath(raw.slice(urn.length + 1));
    }
    // An extension: the URN up to its last ':' is one segment.
    const at = lower.lastIndexOf(':');
    const rest = lower.slice(at + 1);
    if (!rest) throw ScimErrors.invalidPath(`"${raw}" names no attribute`);
    return [lower.slice(0, at), ...rest.split('.')];
  }
  const parts = lower.split('.');
  if (parts.some((p) => !p) || parts.length > 2) throw ScimErrors.invalidPath(`"${raw}" is not an attribute name`);
  return parts;
}

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[], private readonly source: string) {}

  peek(): Token {
    return this.tokens[this.i];
  }
  next(): Token {
    return this.tokens[this.i++];
  }
  fail(why: string, t: Token = this.peek()): never {
    throw ScimErrors.invalidFilter(`${why} at position ${t.pos + 1} of "${this.source}"`);
  }
  word(t: Token): string | null {
    return t.kind === 'word' ? t.text.toLowerCase() : null;
  }

  parseOr(): Filter {
    let left = this.parseAnd();
    while (this.word(this.peek()) === 'or') {
      this.next();
      left = { type: 'or', left, right: this.parseAnd() };
    }
    return left;
  }

  parseAnd(): Filter {
    let left = this.parseUnary();
    while (this.word(this.peek()) === 'and') {
      this.next();
      left = { type: 'and', left, right: this.parseUnary() };
    }
    return left;
  }

  parseUnary(): Filter {
    const t = this.peek();
    if (this.word(t) === 'not') {
      this.next();
      if (this.peek().kind !== '(') this.fail('expected "(" after not');
      return { type: 'not', filter: this.parseUnary() };
    }
    if (t.kind === '(') {
      this.next();
      const f = this.parseOr();
      if (this.next().kind !== ')') this.fail('expected ")"', this.tokens[this.i - 1]);
      return f;
    }
    return this.parseAttrExp();
  }

  parseAttrExp(): Filter {
    const t = this.next();
    if (t.kind !== 'word') this.fail('expected an attribute name', t);
    let path: AttrPath;
    try {
      path = parseAttrPath(t.text);
    } catch {
      this.fail(`"${t.text}" is not an attribute name`, t);
    }
    if (this.peek().kind === '[') {
      this.next();
      const inner = this.parseOr();
      if (this.next().kind !== ']') this.fail('expected "]"', this.tokens[this.i - 1]);
      return { type: 'valuePath', path, filter: inner };
    }
    const opTok = this.next();
    const op = this.word(opTok);
    if (op === 'pr') return { type: 'present', path };
    if (!op || !OPS.has(op)) this.fail(`expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) after ${t.text}`, opTok);
    const v = this.next();
    let value: Literal;
    if (v.kind === 'string') value = v.text;
    else if (v.kind === 'word') {
      const w = v.text.toLowerCase();
      if (w === 'true') value = true;
      else if (w === 'false') value = false;
      else if (w === 'null') value = null;
      else if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(v.text)) value = Number(v.text);
      else this.fail(`expected a value ("string", number, true, false, null), found ${v.text}`, v);
    } else this.fail('expected a value', v);
    return { type: 'compare', path, op: op as CompareOp, value };
  }
}

export function parseFilter(input: string): Filter {
  if (!input.trim()) throw ScimErrors.invalidFilter('the filter is empty');
  const p = new Parser(tokenize(input), input);
  const f = p.parseOr();
  if (p.peek().kind !== 'end') p.fail('unexpected text');
  return f;
}

/** A PATCH `path`: an attribute path, optionally with a value filter and a sub-attribute after it. */
export function parsePatchPath(input: string): PatchPath {
  const raw = input.trim();
  const open = raw.indexOf('[');
  if (open < 0) {
    const path = parseAttrPath(raw);
    if (!path.length) throw ScimErrors.invalidPath(`"${input}" names no attribute`);
    return { path };
  }
  const close = raw.lastIndexOf(']');
  if (close < open) throw ScimErrors.invalidPath(`"${input}": "[" without "]"`);
  const path = parseAttrPath(raw.slice(0, open));
  let filter: Filter;
  try {
    filter = parseFilter(raw.slice(open + 1, close));
  } catch (e) {
    throw ScimErrors.invalidPath(`"${input}": ${(e as Error).message}`);
  }
  const after = raw.slice(close + 1);
  if (!after) return { path, filter };
  if (!/^\.[a-z0-9_$-]+$/i.test(after)) throw ScimErrors.invalidPath(`"${input}": expected ".subAttribute" after "]"`);
  return { path, filter, sub: after.slice(1).toLowerCase() };
}

type Json = unknown;

/** The key of `obj` that matches `name` ignoring case. */
export function keyOf(obj: Record<string, unknown>, name: string): string | undefined {
  if (name in obj) return name;
  const lower = name.toLowerCase();
  return Object.keys(obj).find((k) => k.toLowerCase() === lower);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Every value at `path`, multi-valued attributes flattened. */
export function valuesAt(resource: Json, path: AttrPath): Json[] {
  let current: Json[] = [resource];
  for (const seg of path) {
    const next: Json[] = [];
    for (const c of current) {
      for (const item of Array.isArray(c) ? c : [c]) {
        if (!isObject(item)) continue;
        const k = keyOf(item, seg);
        if (k === undefined) continue;
        const v = item[k];
        if (Array.isArray(v)) next.push(...v);
        else next.push(v);
      }
    }
    current = next;
  }
  return current.filter((v) => v !== undefined);
}

function compare(actual: Json, op: CompareOp, expected: Literal, caseExact: boolean): boolean {
  if (op === 'eq' && expected === null) return actual === null || actual === undefined;
  if (op === 'ne' && expected === null) return !(actual === null || actual === undefined);
  if (typeof expected === 'boolean') {
    const a = typeof actual === 'string' ? actual.toLowerCase() === 'true' : actual === true;
    if (op === 'eq') return a === expected;
    if (op === 'ne') return a !== expected;
    return false;
  }
  if (typeof expected === 'number') {
    const a = typeof actual === 'number' ? actual : Number(actual);
    if (Number.isNaN(a)) return op === 'ne';
    return { eq: a === expected, ne: a !== expected, gt: a > expected, ge: a >= expected, lt: a < expected, le: a <= expected, co: false, sw: false, ew: false }[op];
  }
  if (typeof actual !== 'string' && typeof actual !== 'number' && typeof actual !== 'boolean') return op === 'ne';
  let a = String(actual);
  let e = String(expected);
  if (!caseExact) {
    a = a.toLowerCase();
    e = e.toLowerCase();
  }
  switch (op) {
    case 'eq':
      return a === e;
    case 'ne':
      return a !== e;
    case 'co':
      return a.includes(e);
    case 'sw':
      return a.startsWith(e);
    case 'ew':
      return a.endsWith(e);
    case 'gt':
      return a > e;
    case 'ge':
      return a >= e;
    case 'lt':
      return a < e;
    case 'le':
      return a <= e;
  }
}

/** Whether a resource (or an element of a multi-valued attribute) matches. */
export function matches(resource: Json, f: Filter): boolean {
  switch (f.type) {
    case 'and':
      return matches(resource, f.left) && matches(resource, f.right);
    case 'or':
      return matches(resource, f.left) || matches(resource, f.right);
    case 'not':
      return !matches(resource, f.filter);
    case 'present':
      return valuesAt(resource, f.path).some((v) => v !== null && v !== '' && !(Array.isArray(v) && !v.length));
    case 'valuePath':
      return valuesAt(resource, f.path).some((el) => matches(el, f.filter));
    case 'compare': {
      const values = valuesAt(resource, f.path);
      const caseExact = CASE_EXACT.has(f.path[f.path.length - 1] ?? '') && f.path.length === 1;
      if (f.op === 'ne') return values.length === 0 ? f.value !== null : values.every((v) => compare(v, 'ne', f.value, caseExact));
      if (!values.length) return f.op === 'eq' && f.value === null;
      return values.some((v) => compare(v, f.op, f.value, caseExact));
    }
  }
}

/**
 * An equality the store can look up directly (`userName eq "x"`, `externalId eq "y"`,
 * `id eq "z"`), found at the top of the filter or in one side of an `and`.
 * The whole filter is still applied to what the lookup returns.
 */
export function indexableEquality(f: Filter, attrs: readonly string[]): { attr: string; value: string } | null {
  if (f.type === 'compare' && f.op === 'eq' && typeof f.value === 'string' && f.path.length === 1 && attrs.includes(f.path[0])) return { attr: f.path[0], value: f.value };
  if (f.type === 'and') return indexableEquality(f.left, attrs) ?? indexableEquality(f.right, attrs);
  return null;
}
