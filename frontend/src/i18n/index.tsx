import { createContext, useCallback, useContext, useEffect, useMemo, useSyncExternalStore, type ReactNode } from 'react';
import { en, type MessageKey } from './en';
import { zh } from './zh';

export type Lang = 'en' | 'zh';
export type { MessageKey };
export type Vars = Record<string, string | number>;

const DICTIONARIES = { en, zh } as const;
export const LANG_STORAGE_KEY = 'sora.lang';

/** Stored choice first; otherwise the first of the browser's languages we speak, English by default. */
export function detectLanguage(stored: string | null, languages: readonly string[]): Lang {
  if (stored === 'en' || stored === 'zh') return stored;
  for (const raw of languages) {
    const tag = raw.toLowerCase();
    if (tag.startsWith('zh')) return 'zh';
    if (tag.startsWith('en')) return 'en';
  }
  return 'en';
}

function readStored(): string | null {
  try {
    return localStorage.getItem(LANG_STORAGE_KEY);
  } catch {
    return null;
  }
}

function browserLanguages(): readonly string[] {
  if (typeof navigator === 'undefined') return [];
  return navigator.languages?.length ? navigator.languages : [navigator.language ?? 'en'];
}

// The language lives outside React so that non-component code (the API
// error mapping) speaks the same language as the screen.
let current: Lang = detectLanguage(readStored(), browserLanguages());
const listeners = new Set<() => void>();

export function getLanguage(): Lang {
  return current;
}

export function setLanguage(lang: Lang): void {
  if (lang === current) return;
  current = lang;
  try {
    localStorage.setItem(LANG_STORAGE_KEY, lang);
  } catch {
    /* private mode: the choice lasts for this page only */
  }
  listeners.forEach((fn) => fn());
}

function subscribe(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** `template` with each `{name}` replaced by `vars[name]`; unknown names stay as written. */
export function interpolate(template: string, vars?: Vars): string {
  if (!vars) return template;
  return template.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

export function translate(key: MessageKey, vars?: Vars, lang: Lang = current): string {
  return interpolate(DICTIONARIES[lang][key] ?? en[key] ?? key, vars);
}

export function formatDateTime(iso: string | null | undefined, lang: Lang = current): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-US', { dateStyle: 'medium', timeStyle: 'short' });
}

interface I18nValue {
  lang: Lang;
  setLang: (lang: Lang) => void;
  t: (key: MessageKey, vars?: Vars) => string;
  formatDate: (iso: string | null | undefined) => string;
}

const I18nContext = createContext<I18nValue | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const lang = useSyncExternalStore(subscribe, getLanguage, getLanguage);
  useEffect(() => {
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  }, [lang]);
  const t = useCallback((key: MessageKey, vars?: Vars) => translate(key, vars, lang), [lang]);
  const formatDate = useCallback((iso: string | null | undefined) => formatDateTime(iso, lang), [lang]);
  const value = useMemo(() => ({ lang, setLang: setLanguage, t, formatDate }), [lang, t, formatDate]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18nValue {
  const value = useContext(I18nContext);
  if (!value) throw new Error('useI18n outside I18nProvider');
  return value;
}

/** A feature's own dictionaries (a module-level `{en, zh}` constant) as a `t` for the current language. */
export function useLocalText<K extends string>(dictionaries: Record<Lang, Record<K, string>>): (key: K, vars?: Vars) => string {
  const { lang } = useI18n();
  return useCallback((key: K, vars?: Vars) => interpolate(dictionaries[lang][key], vars), [lang, dictionaries]);
}
