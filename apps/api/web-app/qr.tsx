import { create } from 'qrcode';

/** Modules of white border the QR specification asks for around the symbol. */
const QUIET_ZONE = 4;

/**
 * A QR code drawn in the browser from the text it encodes (an otpauth:// URI
 * holds the TOTP secret: it is never sent to a QR service). One SVG path of
 * unit squares, so it scales sharply and needs no canvas or inline HTML.
 */
export function QrCode({ text, label, maxSize = 256, testId }: { text: string; label: string; maxSize?: number; testId?: string }) {
  const { modules } = create(text, { errorCorrectionLevel: 'M' });
  const n = modules.size;
  let d = '';
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; col++) {
      if (modules.get(row, col)) d += `M${col + QUIET_ZONE} ${row + QUIET_ZONE}h1v1h-1z`;
    }
  }
  const side = n + 2 * QUIET_ZONE;
  // Whole pixels per module keep the squares even, which scanners like.
  const size = side * Math.max(2, Math.floor(maxSize / side));
  return (
    <svg
      class="qr"
      role="img"
      aria-label={label}
      data-testid={testId}
      data-modules={n}
      width={size}
      height={size}
      viewBox={`0 0 ${side} ${side}`}
      shape-rendering="crispEdges"
      xmlns="http://www.w3.org/2000/svg"
    >
      <rect width={side} height={side} fill="#fff" />
      <path d={d} fill="#000" />
    </svg>
  );
}
