import { Readable } from 'node:stream';
import { csvLine, guardCell, readMailboxCsv, unguardCell } from './mailbox-csv';

describe('CSV injection guard', () => {
  it.each(['=HYPERLINK("http://evil.example")', '+4915112345678', '-2+3', '@SUM(A1)', '\tx', '\rx'])('prefixes %p and takes the prefix off again', (cell) => {
    expect(guardCell(cell)).toBe(`'${cell}`);
    expect(unguardCell(guardCell(cell))).toBe(cell);
  });

  it('leaves ordinary cells and apostrophes that guard nothing alone', () => {
    expect(guardCell('Alice Smith')).toBe('Alice Smith');
    expect(unguardCell("'Tis Alice")).toBe("'Tis Alice");
  });

  it('quotes cells with commas, quotes and line breaks', () => {
    expect(csvLine(['a@b.example', 'Smith, "Al"', '', 'x\ny'])).toBe('a@b.example,"Smith, ""Al""",,"x\ny"\r\n');
    expect(csvLine(['=1+1', '+4915112345678'])).toBe("'=1+1,'+4915112345678\r\n");
  });

  it('reads an exported line back to the values that were written', async () => {
    const text = 'address,display_name,mobile,alternate_email\r\n' + csvLine(['a@b.example', '=cmd|x', '+4915112345678', '']);
    const items = [];
    for await (const item of readMailboxCsv(Readable.from([text]))) items.push(item);
    expect(items).toEqual([{ kind: 'record', row: 2, fields: { address: 'a@b.example', display_name: '=cmd|x', mobile: '+4915112345678', alternate_email: '' } }]);
  });
});

describe('unreadable rows', () => {
  it('are reported once per line, however many complaints the parser has', async () => {
    const text = 'address,display_name,mobile,alternate_email\r\na@b.example,=HYPERLINK("http://x.example"),,\r\nc@b.example,C,,\r\n';
    const items = [];
    for await (const item of readMailboxCsv(Readable.from([text]))) items.push(item);
    expect(items.map((i) => [i.kind, i.row])).toEqual([
      ['error', 2],
      ['record', 3],
    ]);
  });
});
