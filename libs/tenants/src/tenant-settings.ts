/**
 * Pure checks of the tenant settings an admin edits (webmail branding, SMS
 * sender and cap). Each returns the value to store, or throws a message that
 * names what is wrong; callers attach the field.
 */

/** Decoded size limit of a webmail logo: it is stored in the row and sent with every sign-in page. */
export const LOGO_MAX_BYTES = 64 * 1024;
export const BRAND_NAME_MAX = 80;
export const SMS_CAP_RANGE = { min: 0, max: 10_000_000 } as const;

const MAGIC: Record<string, (b: Buffer) => boolean> = {
  png: (b) => b.length > 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  jpeg: (b) => b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  webp: (b) => b.length > 12 && b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP',
};

/**
 * A logo as `data:image/png|jpeg|webp;base64,…`, at most LOGO_MAX_BYTES once
 * decoded, whose bytes really are that kind of image. SVG is refused: it can
 * carry script, and a logo is shown on the webmail's own origin.
 */
export function logoDataUrlProblem(value: string): string | null {
  const m = /^data:image\/(png|jpeg|webp);base64,([A-Za-z0-9+/]+={0,2})$/.exec(value);
  if (!m) {
    if (/^data:image\/svg/i.test(value)) return 'SVG logos are not accepted (they can carry script); use PNG, JPEG or WebP';
    return 'must be a data: URL of a PNG, JPEG or WebP image in base64 (data:image/png;base64,…)';
  }
  const bytes = Buffer.from(m[2], 'base64');
  if (bytes.length > LOGO_MAX_BYTES) return `the image is ${Math.ceil(bytes.length / 1024)} KiB; at most ${LOGO_MAX_BYTES / 1024} KiB`;
  if (!MAGIC[m[1]](bytes)) return `the data is not a ${m[1].toUpperCase()} image`;
  return null;
}

/** `#rrggbb`, stored lower-case. */
export function primaryColorProblem(value: string): string | null {
  return /^#[0-9a-fA-F]{6}$/.test(value) ? null : 'must be a colour as #rrggbb';
}

export function brandNameProblem(value: string): string | null {
  const v = value.trim();
  if (!v) return 'must not be empty (use null to remove it)';
  if (v.length > BRAND_NAME_MAX) return `must be at most ${BRAND_NAME_MAX} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(v)) return 'must not contain control characters';
  return null;
}

/**
 * An SMS sender: an E.164 number (+4917…) or an alphanumeric sender id
 * (1–11 letters, digits and spaces, at least one letter — what carriers accept).
 */
export function smsSenderProblem(value: string): string | null {
  if (value.startsWith('+')) return /^\+[1-9][0-9]{6,14}$/.test(value) ? null : 'a number must be E.164 (+ then 7 to 15 digits)';
  if (!/^[A-Za-z0-9 ]{1,11}$/.test(value) || !/[A-Za-z]/.test(value) || value.trim() !== value) {
    return 'must be an E.164 number (+4917…) or an alphanumeric sender id of 1 to 11 letters, digits and inner spaces with at least one letter';
  }
  return null;
}

export function smsCapProblem(value: number): string | null {
  return Number.isInteger(value) && value >= SMS_CAP_RANGE.min && value <= SMS_CAP_RANGE.max ? null : `must be a whole number from ${SMS_CAP_RANGE.min} to ${SMS_CAP_RANGE.max}`;
}
