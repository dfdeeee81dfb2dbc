import { addressSearchText, normaliseAddress, normaliseAddresses } from './addresses';

describe('normaliseAddresses', () => {
  it('flattens several header lines and groups into name/address pairs', () => {
    const r = normaliseAddresses([
      { value: [{ name: 'Jörg Müller', address: 'Joerg.Mueller@Example.DE' }] },
      { value: [{ name: 'Team', group: [{ name: '', address: 'a@x.example' }, { name: 'B', address: 'b@x.example' }] }] },
    ]);
    expect(r).toEqual([
      { name: 'Jörg Müller', address: 'Joerg.Mueller@example.de' },
      { name: '', address: 'a@x.example' },
      { name: 'B', address: 'b@x.example' },
    ]);
  });

  it('drops entries without an address (undisclosed-recipients:;) and duplicates', () => {
    expect(normaliseAddresses({ value: [{ name: 'undisclosed-recipients', group: [] }, { name: 'x', address: 'a@b.example' }, { name: 'y', address: 'A@B.EXAMPLE' }] }))
      .toEqual([{ name: 'x', address: 'a@b.example' }]);
  });

  it('bounds the list and the field lengths', () => {
    const many = { value: Array.from({ length: 500 }, (_, i) => ({ name: 'n'.repeat(1000), address: `u${i}@x.example` })) };
    const r = normaliseAddresses(many, 200);
    expect(r).toHaveLength(200);
    expect(r[0].name.length).toBe(256);
  });

  it('removes NUL and line breaks from names', () => {
    expect(normaliseAddresses({ value: [{ name: 'Eve\u0000\r\nEvil', address: 'eve@x.example' }] })).toEqual([{ name: 'Eve Evil', address: 'eve@x.example' }]);
  });

  it('treats missing headers as empty', () => {
    expect(normaliseAddresses(undefined)).toEqual([]);
  });
});

describe('normaliseAddress', () => {
  it('lower-cases the domain only and strips angle brackets', () => {
    expect(normaliseAddress(' <Bob@Example.COM> ')).toBe('Bob@example.com');
    expect(normaliseAddress('no-at-sign')).toBe('no-at-sign');
    expect(normaliseAddress('')).toBeNull();
  });
});

describe('addressSearchText', () => {
  it('lists addresses with local part and domain, and names', () => {
    expect(addressSearchText([[{ name: 'Alice', address: 'alice@corp.example' }]])).toEqual({ addresses: 'alice@corp.example alice corp.example', names: 'Alice' });
  });
});
