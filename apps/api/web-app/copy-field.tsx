import { useRef, useState } from 'preact/hooks';
import { t } from './i18n';

/**
 * A value to paste elsewhere (a token, a URL): read-only, selectable on a
 * phone, with a button that copies it. The clipboard API needs a secure
 * context; on plain http the selection and the older copy command remain.
 */
export function CopyField({ id, label, value, testId }: { id: string; label: string; value: string; testId?: string }) {
  const input = useRef<HTMLInputElement>(null);
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const copy = async () => {
    input.current?.select();
    try {
      if (navigator.clipboard) await navigator.clipboard.writeText(value);
      else if (!document.execCommand('copy')) throw new Error('copy refused');
      setState('copied');
    } catch {
      setState('failed');
    }
  };
  return (
    <div class="copy-field">
      <label for={id}>{label}</label>
      <div class="copy-row">
        <input id={id} ref={input} readOnly value={value} data-testid={testId} spellcheck={false} autoComplete="off" onFocus={(e) => (e.currentTarget as HTMLInputElement).select()} />
        <button type="button" class="secondary" onClick={() => void copy()} aria-label={t('copy.label', { what: label })}>
          {t('copy.button')}
        </button>
      </div>
      <p class={`small copy-state${state === 'failed' ? ' bad' : ''}`} aria-live="polite">
        {state === 'copied' ? t('copy.done') : state === 'failed' ? t('copy.failed') : ''}
      </p>
    </div>
  );
}
