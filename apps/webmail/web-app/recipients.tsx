/** A recipient field: chips for the addresses chosen, completion from the tenant's directory (combobox pattern). */
import { useEffect, useRef, useState } from 'preact/hooks';
import { get, qs } from './api';
import { useI18n } from './i18n';
import type { Address, DirectoryResult } from './types';

const ADDRESS = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;

/** "Ann <ann@x.example>", "ann@x.example" → Address, or null. */
export function parseAddress(text: string): Address | null {
  const s = text.trim().replace(/[,;]+$/, '');
  const m = /^(.*)<([^>]+)>$/.exec(s);
  if (m && ADDRESS.test(m[2].trim())) return { name: m[1].trim().replace(/^"|"$/g, '') || undefined, address: m[2].trim() };
  if (ADDRESS.test(s)) return { address: s };
  return null;
}

export function RecipientField(props: { id: string; label: string; value: Address[]; onChange(v: Address[]): void; autoFocus?: boolean }) {
  const { t } = useI18n();
  const [text, setText] = useState('');
  const [results, setResults] = useState<DirectoryResult[]>([]);
  const [active, setActive] = useState(-1);
  const [invalid, setInvalid] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const seq = useRef(0);
  const listId = `${props.id}-suggestions`;

  useEffect(() => {
    const q = text.trim();
    if (!q) {
      setResults([]);
      return;
    }
    const n = ++seq.current;
    const timer = setTimeout(() => {
      get<{ results: DirectoryResult[] }>(`/api/directory${qs({ q })}`)
        .then((r) => {
          if (n !== seq.current) return;
          const chosen = new Set(props.value.map((a) => a.address.toLowerCase()));
          setResults(r.results.filter((x) => !chosen.has(x.address.toLowerCase())));
          setActive(-1);
        })
        .catch(() => n === seq.current && setResults([]));
    }, 150);
    return () => clearTimeout(timer);
  }, [text]);

  const add = (a: Address) => {
    if (!props.value.some((x) => x.address.toLowerCase() === a.address.toLowerCase())) props.onChange([...props.value, a]);
    setText('');
    setResults([]);
    setActive(-1);
    setInvalid(false);
  };

  /** Commits what was typed; true when the field is left clean. */
  const commitTyped = (): boolean => {
    if (!text.trim()) return true;
    const parts = text.split(/[,;]/).map((p) => p.trim()).filter(Boolean);
    const parsed = parts.map(parseAddress);
    if (parsed.every(Boolean)) {
      const next = [...props.value];
      for (const a of parsed as Address[]) if (!next.some((x) => x.address.toLowerCase() === a.address.toLowerCase())) next.push(a);
      props.onChange(next);
      setText('');
      setResults([]);
      setInvalid(false);
      return true;
    }
    setInvalid(true);
    return false;
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'ArrowDown' && results.length) {
      e.preventDefault();
      setActive((active + 1) % results.length);
    } else if (e.key === 'ArrowUp' && results.length) {
      e.preventDefault();
      setActive((active - 1 + results.length) % results.length);
    } else if (e.key === 'Enter' || e.key === ',' || e.key === ';') {
      if (active >= 0 && results[active]) {
        e.preventDefault();
        add({ name: results[active].name, address: results[active].address });
      } else if (text.trim()) {
        e.preventDefault();
        commitTyped();
      }
    } else if (e.key === 'Escape' && results.length) {
      e.preventDefault();
      setResults([]);
    } else if (e.key === 'Backspace' && !text && props.value.length) {
      props.onChange(props.value.slice(0, -1));
    }
  };

  const expanded = results.length > 0;
  return (
    <div class="field recipients">
      <label for={props.id}>{props.label}</label>
      <div class={'chips' + (invalid ? ' invalid' : '')} onClick={() => input.current?.focus()}>
        {props.value.map((a) => (
          <span class="chip" key={a.address}>
            <span title={a.address}>{a.name ? `${a.name} <${a.address}>` : a.address}</span>
            <button type="button" class="chip-x" aria-label={t('remove', { name: a.name || a.address })} onClick={() => props.onChange(props.value.filter((x) => x !== a))}>
              ×
            </button>
          </span>
        ))}
        <input
          ref={input}
          id={props.id}
          type="text"
          inputMode="email"
          autoComplete="off"
          autoCapitalize="off"
          spellcheck={false}
          role="combobox"
          aria-autocomplete="list"
          aria-expanded={expanded ? 'true' : 'false'}
          aria-controls={listId}
          aria-activedescendant={active >= 0 ? `${listId}-${active}` : undefined}
          aria-invalid={invalid ? 'true' : undefined}
          aria-describedby={`${props.id}-hint`}
          value={text}
          autoFocus={props.autoFocus}
          onInput={(e) => {
            setText((e.target as HTMLInputElement).value);
            setInvalid(false);
          }}
          onKeyDown={onKeyDown}
          onBlur={() => setTimeout(() => {
            // A click on a suggestion happens after blur; let it land first.
            if (document.activeElement !== input.current) {
              commitTyped();
              setResults([]);
            }
          }, 150)}
        />
      </div>
      <span id={`${props.id}-hint`} class="sr-only">{t('addRecipientHint')}</span>
      <ul id={listId} role="listbox" class="suggestions" aria-label={t('suggestions')} hidden={!expanded}>
        {results.map((r, i) => (
          <li
            key={r.address}
            id={`${listId}-${i}`}
            role="option"
            aria-selected={i === active ? 'true' : 'false'}
            class={i === active ? 'active' : ''}
            onMouseDown={(e) => {
              e.preventDefault();
              add({ name: r.name, address: r.address });
              input.current?.focus();
            }}
          >
            <span class="s-name">{r.name}</span> <span class="s-addr">{r.address}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
