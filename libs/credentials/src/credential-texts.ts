import type { SmsLanguage } from '@app/sms';

/** Why a credential is sent; the first sentence of the text says it. */
export type CredentialReason = 'activation' | 'drill' | 'request';

export interface CredentialTextInput {
  language: SmsLanguage;
  tenantName: string;
  code: string;
  link: string;
  lifetimeHours: number;
  reason: CredentialReason;
}

export function formatLifetime(hours: number, language: SmsLanguage): string {
  if (hours >= 1 && Number.isInteger(hours)) return language === 'de' ? `${hours} Std.` : `${hours} h`;
  if (hours >= 1) return language === 'de' ? `${hours.toFixed(1).replace('.', ',')} Std.` : `${hours.toFixed(1)} h`;
  const minutes = Math.max(1, Math.round(hours * 60));
  return language === 'de' ? `${minutes} Min.` : `${minutes} min`;
}

const LEAD: Record<SmsLanguage, Record<CredentialReason, (t: string) => string>> = {
  en: {
    activation: (t) => `${t}: your e-mail now runs on the standby service.`,
    drill: (t) => `${t}: e-mail continuity drill.`,
    request: (t) => `${t}:`,
  },
  de: {
    activation: (t) => `${t}: Ihre E-Mail läuft jetzt im Notbetrieb.`,
    drill: (t) => `${t}: Übung des E-Mail-Notbetriebs.`,
    request: (t) => `${t}:`,
  },
};

/** The credentials text, in the tenant's language. Holds the code: build it only in the send job. */
export function credentialsText(i: CredentialTextInput): string {
  const lifetime = formatLifetime(i.lifetimeHours, i.language);
  const lead = LEAD[i.language][i.reason](i.tenantName);
  return i.language === 'de'
    ? `${lead} Webmail-Code: ${i.code} (einmalig, ${lifetime} gültig). Anmelden: ${i.link} Code nicht weitergeben.`
    : `${lead} Webmail code: ${i.code} (once, valid ${lifetime}). Sign in: ${i.link} Never share this code.`;
}

export function backToNormalText(language: SmsLanguage, tenantName: string): string {
  return language === 'de'
    ? `${tenantName}: Die E-Mail läuft wieder normal. Bitte nutzen Sie wieder Ihr gewohntes Mailprogramm.`
    : `${tenantName}: e-mail is back to normal. Please use your usual mail program again.`;
}

/** The second channel of an employee's own request: the same kind of credential to the alternate address. */
export function credentialsEmail(i: CredentialTextInput & { address: string }): { subject: string; text: string } {
  const lifetime = formatLifetime(i.lifetimeHours, i.language);
  if (i.language === 'de') {
    return {
      subject: `${i.tenantName}: Ihr Einmal-Code für das Webmail`,
      text: [
        `Für ${i.address} wurde ein Anmelde-Code für das Webmail angefordert.`,
        '',
        `Code: ${i.code}`,
        `Oder diesen Link öffnen: ${i.link}`,
        '',
        `Der Code gilt ${lifetime} und nur einmal. Geben Sie ihn niemandem weiter.`,
        'Wenn Sie ihn nicht angefordert haben, ignorieren Sie diese Nachricht.',
      ].join('\n'),
    };
  }
  return {
    subject: `${i.tenantName}: your one-time webmail code`,
    text: [
      `A sign-in code for the webmail of ${i.address} was requested.`,
      '',
      `Code: ${i.code}`,
      `Or open this link: ${i.link}`,
      '',
      `The code is valid for ${lifetime}, once. Never share it.`,
      'If you did not ask for it, ignore this message.',
    ].join('\n'),
  };
}

/** Texts a tenant may write for itself (per language), and the placeholders each may use. */
export type SmsTemplateKind = 'credentials' | 'backToNormal';
export const SMS_TEMPLATE_PLACEHOLDERS: Record<SmsTemplateKind, readonly string[]> = {
  credentials: ['tenant', 'code', 'link', 'lifetime'],
  backToNormal: ['tenant'],
};
/** A credentials text without the code or the link would leave the employee locked out. */
export const SMS_TEMPLATE_REQUIRED: Record<SmsTemplateKind, readonly string[]> = { credentials: ['code', 'link'], backToNormal: [] };
/** Four concatenated SMS segments (GSM-7); a template is short, the link and code come on top. */
export const SMS_TEMPLATE_MAX_LENGTH = 600;

/** Why a tenant's template cannot be used, or null when it can. */
export function smsTemplateProblem(kind: SmsTemplateKind, template: string): string | null {
  if (!template.trim()) return 'must not be empty (leave it out to use the built-in text)';
  if (template.length > SMS_TEMPLATE_MAX_LENGTH) return `must be at most ${SMS_TEMPLATE_MAX_LENGTH} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0009\u000b-\u001f\u007f]/.test(template)) return 'must not contain control characters';
  const allowed = SMS_TEMPLATE_PLACEHOLDERS[kind];
  for (const m of template.matchAll(/\{([^{}]*)\}/g)) {
    if (!allowed.includes(m[1])) return `unknown placeholder {${m[1]}}; allowed: ${allowed.map((p) => `{${p}}`).join(', ')}`;
  }
  for (const p of SMS_TEMPLATE_REQUIRED[kind]) if (!template.includes(`{${p}}`)) return `must contain {${p}}`;
  return null;
}

/** Fills a template's placeholders (each occurrence); values are inserted as they are, never re-expanded. */
export function renderSmsTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{([a-z]+)\}/g, (whole, name: string) => (Object.prototype.hasOwnProperty.call(values, name) ? values[name] : whole));
}

/** The credentials text from the tenant's own template, when it has a usable one for the language. */
export function tenantCredentialsText(template: string | undefined, i: CredentialTextInput): string {
  if (!template || smsTemplateProblem('credentials', template)) return credentialsText(i);
  return renderSmsTemplate(template, { tenant: i.tenantName, code: i.code, link: i.link, lifetime: formatLifetime(i.lifetimeHours, i.language) });
}

export function tenantBackToNormalText(template: string | undefined, language: SmsLanguage, tenantName: string): string {
  if (!template || smsTemplateProblem('backToNormal', template)) return backToNormalText(language, tenantName);
  return renderSmsTemplate(template, { tenant: tenantName });
}
