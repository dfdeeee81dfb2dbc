import type { Request } from 'express';

/** The webmail's languages; a tenant's `language` picks one, the browser's preference where no tenant is known yet. */
export type Language = 'en' | 'de';

export function languageOf(v: unknown): Language {
  return typeof v === 'string' && v.toLowerCase().startsWith('de') ? 'de' : 'en';
}

/** The browser's first preference between German and English (English when it names neither first). */
export function browserLanguage(req: Request): Language {
  const best = req.acceptsLanguages('en', 'de');
  return best === 'de' ? 'de' : 'en';
}

const TEXTS = {
  en: {
    signinTitle: 'Webmail sign-in',
    address: 'E-mail address',
    password: 'Password',
    signIn: 'Sign in',
    withCode: 'Sign in with the code from your text',
    code: 'One-time code',
    useCode: 'Use code',
    noCode: 'No code, or forgot your password?',
    sendCode: 'Send me a new code',
    sendCodeHint: 'A new code goes to the mobile number (and alternate e-mail address) on record.',
    linkTitle: 'Sign in to your webmail',
    linkText: 'Press the button to use your one-time sign-in link. It works once.',
    setTitle: 'Set your password',
    setIntro: 'Your one-time code for {address} was accepted. Choose a password for the webmail; you sign in with it from now on.',
    setRules: 'At least {min} characters; not your e-mail address; not one of the most common passwords. A short sentence is easy to remember.',
    newPassword: 'New password',
    confirmPassword: 'New password again',
    savePassword: 'Save password and sign in',
    mismatch: 'The two passwords are not the same.',
    setupExpired: 'This step has expired or was already done. Sign in again with your password or a new code.',
    closedTitle: 'Webmail closed',
    closed: 'The webmail is only open during an outage of your e-mail service. Please use your normal e-mail.',
    checkPhone: 'Check your phone',
    back: 'Back to sign-in',
    failedTitle: 'Sign-in failed',
    signinFailed: 'The address or the password is not right.',
    accountLocked: 'Too many wrong passwords. Try again in {minutes} minutes, or sign in with a new code.',
    rateLimited: 'Too many attempts. Please wait a while and try again.',
    csrfFailed: 'This form has expired. Please load the page again and retry.',
    credentialInvalid: 'The address or the code is not right, or the code is no longer valid. Ask for a new code if you need one.',
    credentialExpired: 'This code or link has expired. Ask for a new one.',
    credentialUsed: 'This code or link has already been used. Sign in with your password, or ask for a new code.',
    credentialLocked: 'Too many wrong codes. Ask for a new one.',
    invalidRequest: 'Please fill in every field.',
    signedOut: 'You are signed out.',
    signOut: 'Sign out',
  },
  de: {
    signinTitle: 'Webmail-Anmeldung',
    address: 'E-Mail-Adresse',
    password: 'Passwort',
    signIn: 'Anmelden',
    withCode: 'Mit dem Code aus Ihrer SMS anmelden',
    code: 'Einmal-Code',
    useCode: 'Code verwenden',
    noCode: 'Kein Code oder Passwort vergessen?',
    sendCode: 'Neuen Code senden',
    sendCodeHint: 'Ein neuer Code geht an die hinterlegte Mobilnummer (und Ersatz-E-Mail-Adresse).',
    linkTitle: 'Beim Webmail anmelden',
    linkText: 'Drücken Sie die Schaltfläche, um Ihren Einmal-Anmeldelink zu verwenden. Er funktioniert nur einmal.',
    setTitle: 'Passwort festlegen',
    setIntro: 'Ihr Einmal-Code für {address} wurde angenommen. Wählen Sie ein Passwort für das Webmail; damit melden Sie sich künftig an.',
    setRules: 'Mindestens {min} Zeichen; nicht Ihre E-Mail-Adresse; keines der häufigsten Passwörter. Ein kurzer Satz ist leicht zu merken.',
    newPassword: 'Neues Passwort',
    confirmPassword: 'Neues Passwort wiederholen',
    savePassword: 'Passwort speichern und anmelden',
    mismatch: 'Die beiden Passwörter stimmen nicht überein.',
    setupExpired: 'Dieser Schritt ist abgelaufen oder wurde schon erledigt. Melden Sie sich erneut mit Passwort oder einem neuen Code an.',
    closedTitle: 'Webmail geschlossen',
    closed: 'Das Webmail ist nur während eines Ausfalls Ihres E-Mail-Dienstes geöffnet. Bitte nutzen Sie Ihr gewohntes E-Mail-Programm.',
    checkPhone: 'Bitte sehen Sie auf Ihr Telefon',
    back: 'Zurück zur Anmeldung',
    failedTitle: 'Anmeldung fehlgeschlagen',
    signinFailed: 'Adresse oder Passwort sind nicht richtig.',
    accountLocked: 'Zu viele falsche Passwörter. Versuchen Sie es in {minutes} Minuten erneut oder melden Sie sich mit einem neuen Code an.',
    rateLimited: 'Zu viele Versuche. Bitte warten Sie eine Weile und versuchen Sie es dann erneut.',
    csrfFailed: 'Dieses Formular ist abgelaufen. Bitte laden Sie die Seite neu und versuchen Sie es erneut.',
    credentialInvalid: 'Adresse oder Code sind nicht richtig, oder der Code ist nicht mehr gültig. Fordern Sie bei Bedarf einen neuen Code an.',
    credentialExpired: 'Dieser Code oder Link ist abgelaufen. Fordern Sie einen neuen an.',
    credentialUsed: 'Dieser Code oder Link wurde bereits verwendet. Melden Sie sich mit Ihrem Passwort an oder fordern Sie einen neuen Code an.',
    credentialLocked: 'Zu viele falsche Codes. Fordern Sie einen neuen an.',
    invalidRequest: 'Bitte füllen Sie alle Felder aus.',
    signedOut: 'Sie sind abgemeldet.',
    signOut: 'Abmelden',
  },
} as const;

export type TextKey = keyof (typeof TEXTS)['en'];

export function t(lang: Language, key: TextKey, vars: Record<string, string | number> = {}): string {
  return TEXTS[lang][key].replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k] ?? `{${k}}`));
}

/** What an error code of the sign-in flow says to the employee, or null when the code has no text of its own. */
export function errorText(lang: Language, code: string, details?: Record<string, unknown>): string | null {
  switch (code) {
    case 'signin_failed':
      return t(lang, 'signinFailed');
    case 'account_locked':
      return t(lang, 'accountLocked', { minutes: Math.max(1, Math.ceil(Number(details?.retryAfterSeconds ?? 60) / 60)) });
    case 'rate_limited':
      return t(lang, 'rateLimited');
    case 'csrf_failed':
      return t(lang, 'csrfFailed');
    case 'credential_invalid':
      return t(lang, 'credentialInvalid');
    case 'credential_expired':
      return t(lang, 'credentialExpired');
    case 'credential_used':
      return t(lang, 'credentialUsed');
    case 'credential_locked':
      return t(lang, 'credentialLocked');
    case 'webmail_closed':
      return t(lang, 'closed');
    case 'setup_expired':
      return t(lang, 'setupExpired');
    case 'invalid_request':
      return t(lang, 'invalidRequest');
    default:
      return null;
  }
}
