/** The tenant's colour, made safe to read: text on it is black or white, whichever contrasts more (WCAG ≥ 4.5:1 where possible). */

function channel(c: number): number {
  const s = c / 255;
  return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
}

export function luminance(hex: string): number {
  const n = parseInt(hex.slice(1), 16);
  return 0.2126 * channel((n >> 16) & 255) + 0.7152 * channel((n >> 8) & 255) + 0.0722 * channel(n & 255);
}

export function contrast(a: string, b: string): number {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

function darken(hex: string, f: number): string {
  const n = parseInt(hex.slice(1), 16);
  const c = (v: number) => Math.max(0, Math.min(255, Math.round(v * f)));
  return '#' + [(n >> 16) & 255, (n >> 8) & 255, n & 255].map((v) => c(v).toString(16).padStart(2, '0')).join('');
}

/** Sets --brand (backgrounds), --on-brand (text on it) and --brand-text (the colour as text on white, darkened until it reads). */
export function applyBrand(color: string | null): void {
  const brand = color && /^#[0-9a-fA-F]{6}$/.test(color) ? color.toLowerCase() : '#1f5fbf';
  const onBrand = contrast(brand, '#ffffff') >= contrast(brand, '#000000') ? '#ffffff' : '#000000';
  let text = brand;
  for (let i = 0; i < 20 && contrast(text, '#ffffff') < 4.5; i++) text = darken(text, 0.85);
  const root = document.documentElement.style;
  root.setProperty('--brand', brand);
  root.setProperty('--on-brand', onBrand);
  root.setProperty('--brand-text', text);
}
