import { Readable } from 'node:stream';
import { checkMailboxRow, MailboxCsvItem, readMailboxCsv } from './mailbox-csv';

async function readAll(text: string | Buffer): Promise<MailboxCsvItem[]> {
  const out: MailboxCsvItem[] = [];
  for await (const item of readMailboxCsv(Readable.from([typeof text === 'string' ? Buffer.from(text) : text]))) out.push(item);
  return out;
}

const HEADER = 'address,display_name,mobile,alternate_email';

describe('readMailboxCsv', () => {
  it('reads rows with their line numbers, through a BOM and CRLF', async () => {
    const items = await readAll(`\uFEFF${HEADER}\r\nalice@demo.example,Alice,+4915112345678,\r\nbob@demo.example,"Bob, Jr.",,bob@private.example\r\n`);
    expect(items).toEqual([
      { kind: 'record', row: 2, fields: { address: 'alice@demo.example', display_name: 'Alice', mobile: '+4915112345678', alternate_email: '' } },
      { kind: 'record', row: 3, fields: { address: 'bob@demo.example', display_name: 'Bob, Jr.', mobile: '', alternate_email: 'bob@private.example' } },
    ]);
  });

  it('accepts optional columns in any order and case', async () => {
    const items = await readAll('Groups,ADDRESS,mobile,display_name,alternate_email,aliases\nall@demo.example,alice@demo.example,,Alice,,a@demo.example;b@demo.example\n');
    expect(items[0]).toMatchObject({ kind: 'record', fields: { groups: 'all@demo.example', address: 'alice@demo.example', aliases: 'a@demo.example;b@demo.example' } });
  });

  it('reports a row with the wrong number of cells and goes on', async () => {
    const items = await readAll(`${HEADER}\na@demo.example,A,,\nb@demo.example,B\nc@demo.example,C,,\n`);
    expect(items.map((i) => [i.kind, i.row])).toEqual([['record', 2], ['error', 3], ['record', 4]]);
    expect(items[1]).toMatchObject({ code: 'csv_column_count' });
  });

  it('reports a row the parser cannot read and goes on', async () => {
    const items = await readAll(`${HEADER}\na@demo.example,A,,\nb@demo.example,B"broken,,\nc@demo.example,C,,\n`);
    const errors = items.filter((i) => i.kind === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ row: 3, code: 'csv_row_unreadable' });
    expect(items.filter((i) => i.kind === 'record').map((i) => i.row)).toEqual([2, 4]);
  });

  it('refuses an unknown or missing header column', async () => {
    await expect(readAll('address,display_name,mobile\nx@demo.example,X,\n')).rejects.toMatchObject({ code: 'csv_header_invalid' });
    await expect(readAll(`${HEADER},password\n`)).rejects.toMatchObject({ code: 'csv_header_invalid', message: expect.stringContaining('password') });
    await expect(readAll('')).rejects.toMatchObject({ code: 'csv_header_invalid' });
  });

  it('keeps a formula-like cell as text', async () => {
    const items = await readAll(`${HEADER}\nx@demo.example,"=cmd|' /C calc'!A0",,\n`);
    expect(items[0]).toMatchObject({ fields: { display_name: "=cmd|' /C calc'!A0" } });
  });

  it('streams a large file without collecting it', async () => {
    function* lines() {
      yield Buffer.from(`${HEADER}\n`);
      for (let i = 0; i < 20000; i++) yield Buffer.from(`user${i}@demo.example,User ${i},,\n`);
    }
    let n = 0;
    for await (const item of readMailboxCsv(Readable.from(lines()))) if (item.kind === 'record') n++;
    expect(n).toBe(20000);
  });
});

describe('checkMailboxRow', () => {
  const domains = new Set(['demo.example']);
  const row = (f: Record<string, string>) => checkMailboxRow({ address: '', display_name: '', mobile: '', alternate_email: '', ...f }, domains);

  it('normalises a good row', () => {
    expect(row({ address: 'Alice@Demo.Example', display_name: ' Alice ', mobile: '+49 151 12345678', aliases: 'A.Smith@demo.example; ;a.smith@demo.example', groups: 'all@demo.example' })).toEqual({
      ok: true,
      value: { address: 'alice@demo.example', displayName: 'Alice', mobileE164: '+4915112345678', alternateEmail: null, aliases: ['a.smith@demo.example'], groups: ['all@demo.example'] },
      warnings: [],
    });
  });

  it('refuses addresses outside the tenant and says which', () => {
    expect(row({ address: 'alice@other.example' })).toMatchObject({ ok: false, code: 'address_outside_tenant' });
    expect(row({ address: 'alice@demo.example', aliases: 'x@other.example' })).toMatchObject({ ok: false, code: 'address_outside_tenant', reason: expect.stringContaining('alias') });
  });

  it('refuses bad fields with their reason', () => {
    expect(row({ address: 'nope' })).toMatchObject({ ok: false, code: 'address_invalid' });
    expect(row({ address: 'a@demo.example', mobile: '0151 123' })).toMatchObject({ ok: false, code: 'mobile_invalid' });
    expect(row({ address: 'a@demo.example', alternate_email: 'a@demo.example' })).toMatchObject({ ok: false, code: 'alternate_email_invalid' });
    expect(row({ address: 'a@demo.example', aliases: 'a@demo.example' })).toMatchObject({ ok: false, code: 'alias_invalid' });
  });

  it('warns about, but keeps, a display name that looks like a formula', () => {
    const r = row({ address: 'a@demo.example', display_name: '=HYPERLINK("http://evil")' });
    expect(r).toMatchObject({ ok: true, value: { displayName: '=HYPERLINK("http://evil")' } });
    if (r.ok) expect(r.warnings[0]).toContain('formula');
  });
});
