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
