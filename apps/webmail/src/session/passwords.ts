export { hashPassword, verifyPassword } from '@app/credentials/password-hash';
import type { Language } from './i18n';

export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 256;

/**
 * Passwords people pick first (the top of public breach lists, German and
 * English), lower-cased. A password is refused when it is one of these, or one
 * of these with digits or punctuation around it.
 */
const COMMON = new Set([
  '123456', '1234567', '12345678', '123456789', '1234567890', '12345678910', '0123456789', '987654321', '9876543210', '1111111111',
  '0000000000', '1234512345', '1q2w3e4r5t', '1qaz2wsx3edc', 'qwertz', 'qwertzuiop', 'qwerty', 'qwertyuiop', 'asdfghjkl', 'asdfasdf',
  'yxcvbnm', 'zxcvbnm', 'password', 'passwort', 'passw0rd', 'p@ssw0rd', 'p@ssword', 'kennwort', 'geheim', 'geheimnis', 'iloveyou',
  'ichliebedich', 'letmein', 'welcome', 'willkommen', 'hallo', 'hallohallo', 'hello', 'helloworld', 'admin', 'administrator',
  'abc123', 'abcdefg', 'abcdefgh', 'abcdefghij', 'monkey', 'dragon', 'master', 'shadow', 'sunshine', 'princess', 'football',
  'fussball', 'baseball', 'superman', 'batman', 'trustno1', 'freedom', 'whatever', 'starwars', 'pokemon', 'schatz', 'schatzi',
  'sommer', 'winter', 'fruehling', 'herbst', 'summer', 'autumn', 'spring', 'changeme', 'secret', 'test', 'testtest', 'test1234',
  'default', 'login', 'webmail', 'email', 'e-mail', 'outlook', 'exchange', 'microsoft', 'office', 'office365', 'firma', 'company',
  'mustermann', 'musterfrau', 'deutschland', 'germany', 'berlin', 'muenchen', 'hamburg', 'bayern', 'schalke04', 'borussia',
  'qwer1234', 'asdf1234', 'zaq12wsx', 'q1w2e3r4', 'q1w2e3r4t5', 'aa123456', 'aaaaaaaaaa', 'passwort1', 'password1', 'password123',
  'passwort123', 'lovely', 'jennifer', 'michael', 'thomas', 'andreas', 'stefan', 'daniel', 'sabine', 'nicole', 'charlie',
]);

export type PasswordProblem = 'too_short' | 'too_long' | 'is_address' | 'too_common' | 'one_character';

const PROBLEM_TEXT: Record<Language, Record<PasswordProblem, string>> = {
  en: {
    too_short: `The password must have at least ${MIN_PASSWORD_LENGTH} characters.`,
    too_long: `The password must have at most ${MAX_PASSWORD_LENGTH} characters.`,
    is_address: 'The password must not be your e-mail address or its name part.',
    too_common: 'This password is one of the most common ones and easy to guess. Choose another.',
    one_character: 'The password must not repeat a single character.',
  },
  de: {
    too_short: `Das Passwort muss mindestens ${MIN_PASSWORD_LENGTH} Zeichen haben.`,
    too_long: `Das Passwort darf höchstens ${MAX_PASSWORD_LENGTH} Zeichen haben.`,
    is_address: 'Das Passwort darf nicht Ihre E-Mail-Adresse oder deren Namensteil sein.',
    too_common: 'Dieses Passwort gehört zu den häufigsten und ist leicht zu erraten. Bitte wählen Sie ein anderes.',
    one_character: 'Das Passwort darf nicht aus einem einzigen wiederholten Zeichen bestehen.',
  },
};

export function passwordProblemText(p: PasswordProblem, language: Language): string {
  return PROBLEM_TEXT[language][p];
}

/** Why a new password for `address` is not acceptable, or null. */
export function passwordProblem(password: string, address: string): PasswordProblem | null {
  if ([...password].length < MIN_PASSWORD_LENGTH) return 'too_short';
  if (password.length > MAX_PASSWORD_LENGTH) return 'too_long';
  if (/^(.)\1*$/su.test(password)) return 'one_character';
  const lower = password.toLowerCase().trim();
  const addr = address.trim().toLowerCase();
  const local = addr.split('@')[0] ?? '';
  const core = lower.replace(/^[^a-z]+|[^a-z]+$/g, '');
  if (lower === addr || (local.length >= 3 && (lower === local || core === local.replace(/[^a-z]/g, '') || lower.includes(addr)))) return 'is_address';
  if (COMMON.has(lower) || (core.length > 0 && COMMON.has(core)) || COMMON.has(lower.replace(/[^a-z0-9@.-]/g, ''))) return 'too_common';
  return null;
}
