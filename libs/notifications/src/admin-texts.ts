import type { SmsLanguage } from '@app/sms';

type Mode = 'normal' | 'active' | 'recovering' | 'drill';

const MODE: Record<SmsLanguage, Record<Mode, string>> = {
  en: { normal: 'normal operation', active: 'continuity mode (Exchange treated as down)', recovering: 'recovery (held mail is being replayed)', drill: 'drill' },
  de: { normal: 'Normalbetrieb', active: 'Notbetrieb (Exchange gilt als ausgefallen)', recovering: 'Wiederherstellung (zurückgehaltene Mails werden nachgeliefert)', drill: 'Übung' },
};

function modeName(language: SmsLanguage, mode: string): string {
  return MODE[language][mode as Mode] ?? mode;
}

export interface TransitionNotice {
  language: SmsLanguage;
  tenantName: string;
  fromMode: string;
  toMode: string;
  event: string;
  actor: string;
  reason: string;
  at: Date;
}

/** What tenant admins are told of a transition: a short text and a fuller e-mail. */
export function transitionAnnouncement(n: TransitionNotice): { sms: string; subject: string; text: string } {
  const to = modeName(n.language, n.toMode);
  const from = modeName(n.language, n.fromMode);
  const when = n.at.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  // Not a change of mode but a question (confirm policy) or its withdrawal: say what is asked.
  if (n.event === 'activation-requested') return confirmationRequest(n, when);
  if (n.event === 'confirmation-withdrawn') return confirmationWithdrawn(n, when);
  if (n.language === 'de') {
    return {
      sms: `${n.tenantName}: E-Mail-Kontinuität jetzt ${to} (vorher ${from}). Auslöser: ${n.actor}. ${n.reason}`.trim(),
      subject: `${n.tenantName}: E-Mail-Kontinuität – ${to}`,
      text: [
        `Der Betriebszustand der E-Mail-Kontinuität für ${n.tenantName} hat sich geändert.`,
        '',
        `Neu:       ${to}`,
        `Vorher:    ${from}`,
        `Ereignis:  ${n.event}`,
        `Ausgelöst: ${n.actor}`,
        `Grund:     ${n.reason || '–'}`,
        `Zeit:      ${when}`,
      ].join('\n'),
    };
  }
  return {
    sms: `${n.tenantName}: e-mail continuity is now in ${to} (was ${from}). By: ${n.actor}. ${n.reason}`.trim(),
    subject: `${n.tenantName}: e-mail continuity – ${to}`,
    text: [
      `The e-mail continuity state of ${n.tenantName} changed.`,
      '',
      `Now:    ${to}`,
      `Before: ${from}`,
      `Event:  ${n.event}`,
      `By:     ${n.actor}`,
      `Reason: ${n.reason || '-'}`,
      `Time:   ${when}`,
    ].join('\n'),
  };
}

function confirmationRequest(n: TransitionNotice, when: string): { sms: string; subject: string; text: string } {
  if (n.language === 'de') {
    const sms = `${n.tenantName}: Exchange scheint ausgefallen (${n.reason}). Notbetrieb bitte bestätigen – beim Anbieter oder in der Verwaltung. Ohne Bestätigung bleibt alles, wie es ist.`;
    return {
      sms,
      subject: `${n.tenantName}: Notbetrieb bestätigen?`,
      text: [sms, '', `Beobachtet:  ${n.reason || '–'}`, `Zeit:        ${when}`, '', 'Mit der Bestätigung wird eingehende Post zurückgehalten, und alle Mitarbeitenden erhalten per SMS ihren Webmail-Zugang.'].join('\n'),
    };
  }
  const sms = `${n.tenantName}: Exchange looks down (${n.reason}). Please confirm continuity mode with your provider or in the admin tools. Until someone confirms, nothing changes.`;
  return {
    sms,
    subject: `${n.tenantName}: confirm continuity mode?`,
    text: [sms, '', `Observed: ${n.reason || '-'}`, `Time:     ${when}`, '', 'Confirming holds inbound mail for your Exchange and texts every employee their webmail credentials.'].join('\n'),
  };
}

function confirmationWithdrawn(n: TransitionNotice, when: string): { sms: string; subject: string; text: string } {
  if (n.language === 'de') {
    const sms = `${n.tenantName}: Exchange antwortet wieder; die Bitte um Bestätigung des Notbetriebs ist hinfällig.`;
    return { sms, subject: `${n.tenantName}: keine Bestätigung mehr nötig`, text: [sms, '', `Zeit: ${when}`].join('\n') };
  }
  const sms = `${n.tenantName}: Exchange is answering again; the request to confirm continuity mode is withdrawn.`;
  return { sms, subject: `${n.tenantName}: no confirmation needed any more`, text: [sms, '', `Time: ${when}`].join('\n') };
}

/** Told once per hour when the SMS cap stops texts. */
export function capAlert(language: SmsLanguage, tenantName: string, capPerHour: number): { sms: string; subject: string; text: string } {
  if (language === 'de') {
    const sms = `${tenantName}: SMS-Limit von ${capPerHour}/Std. erreicht; weitere Texte werden nicht gesendet. Bitte prüfen.`;
    return { sms, subject: `${tenantName}: SMS-Limit erreicht`, text: `${sms}\n\nNicht gesendete Texte sind als "capped" markiert und können nach Prüfung erneut angefordert werden.` };
  }
  const sms = `${tenantName}: SMS cap of ${capPerHour}/h reached; further texts are not sent. Please check.`;
  return { sms, subject: `${tenantName}: SMS cap reached`, text: `${sms}\n\nTexts not sent are marked "capped"; they can be requested again once checked.` };
}
