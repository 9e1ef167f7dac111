import { useCallback, useEffect, useRef, useState } from 'react';

const PREFIX = 'sora.draft.';

function read<T>(key: string, fallback: T, valid?: (v: unknown) => v is T): T {
  try {
    const raw = localStorage.getItem(PREFIX + key);
    if (raw === null) return fallback;
    const value: unknown = JSON.parse(raw);
    if (valid ? valid(value) : typeof value === typeof fallback) return value as T;
  } catch {
    /* unreadable or private mode: start fresh */
  }
  return fallback;
}

/**
 * useState that survives a reload: the value is kept in localStorage under
 * `sora.draft.<key>` (written a moment after each change). `valid` guards
 * against a stored value that no longer fits (an option that was removed).
 */
export function useDraft<T>(key: string, fallback: T, valid?: (v: unknown) => v is T): [T, (v: T | ((prev: T) => T)) => void] {
  const [value, setValue] = useState<T>(() => read(key, fallback, valid));
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const id = window.setTimeout(() => {
      try {
        localStorage.setItem(PREFIX + key, JSON.stringify(value));
      } catch {
        /* full or private mode: the draft lasts for this page only */
      }
    }, 200);
    return () => window.clearTimeout(id);
  }, [key, value]);
  return [value, useCallback((v: T | ((prev: T) => T)) => setValue(v), [])];
}

/** Forgets every stored draft (on sign-out, so the next person on this browser starts clean). */
export function clearDrafts(): void {
  try {
    Object.keys(localStorage)
      .filter((k) => k.startsWith(PREFIX))
      .forEach((k) => localStorage.removeItem(k));
  } catch {
    /* nothing stored */
  }
}
