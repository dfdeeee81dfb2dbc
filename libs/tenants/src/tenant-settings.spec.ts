import { brandNameProblem, LOGO_MAX_BYTES, logoDataUrlProblem, primaryColorProblem, smsCapProblem, smsSenderProblem } from './tenant-settings';

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(32)]);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(32)]);
const WEBP = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 '), Buffer.alloc(16)]);
const url = (type: string, b: Buffer) => `data:image/${type};base64,${b.toString('base64')}`;

describe('logoDataUrlProblem', () => {
  it.each([
    ['png', PNG],
    ['jpeg', JPEG],
    ['webp', WEBP],
  ])('accepts a %s image', (type, bytes) => {
    expect(logoDataUrlProblem(url(type, bytes))).toBeNull();
  });

  it('refuses SVG, saying why', () => {
    expect(logoDataUrlProblem(`data:image/svg+xml;base64,${Buffer.from('<svg onload="alert(1)"/>').toString('base64')}`)).toMatch(/SVG/);
  });

  it('refuses bytes that are not the declared type', () => {
    expect(logoDataUrlProblem(url('png', JPEG))).toMatch(/not a PNG/);
    expect(logoDataUrlProblem(url('webp', PNG))).toMatch(/not a WEBP/);
  });

  it('refuses other URLs and broken base64', () => {
    expect(logoDataUrlProblem('https://example.com/logo.png')).toMatch(/data: URL/);
    expect(logoDataUrlProblem('data:image/png;base64,<script>')).toMatch(/data: URL/);
    expect(logoDataUrlProblem('data:text/html;base64,PGI+')).toMatch(/data: URL/);
  });

  it('refuses a logo over the size limit', () => {
    const big = Buffer.concat([PNG, Buffer.alloc(LOGO_MAX_BYTES)]);
    expect(logoDataUrlProblem(url('png', big))).toMatch(/at most 64 KiB/);
  });
});

describe('primaryColorProblem', () => {
  it('accepts #rrggbb only', () => {
    expect(primaryColorProblem('#1a2B3c')).toBeNull();
    for (const bad of ['#123', '123456', '#12345g', 'red', '#1234567', '#123456;background:url(x)']) expect(primaryColorProblem(bad)).not.toBeNull();
  });
});

describe('brandNameProblem', () => {
  it('accepts a short name and refuses empty, long or control characters', () => {
    expect(brandNameProblem('Demo Corp Mail')).toBeNull();
    expect(brandNameProblem('  ')).not.toBeNull();
    expect(brandNameProblem('x'.repeat(81))).not.toBeNull();
    expect(brandNameProblem('a\nb')).not.toBeNull();
  });
});

describe('smsSenderProblem', () => {
  it.each(['+4915112345678', '+15005550006', 'DemoCorp', 'Demo Corp', 'IT 24'])('accepts %s', (v) => expect(smsSenderProblem(v)).toBeNull());
  it.each(['+0123456789', '+49', '4915112345678', 'DemoCorporation', '12345', ' Demo', 'Démo', 'a-b'])('refuses %j', (v) => expect(smsSenderProblem(v)).not.toBeNull());
});

describe('smsCapProblem', () => {
  it('accepts 0 to 10 million whole numbers', () => {
    expect(smsCapProblem(0)).toBeNull();
    expect(smsCapProblem(500)).toBeNull();
    expect(smsCapProblem(-1)).not.toBeNull();
    expect(smsCapProblem(1.5)).not.toBeNull();
    expect(smsCapProblem(10_000_001)).not.toBeNull();
  });
});
