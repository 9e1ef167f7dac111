import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from 'react';
import { useI18n } from '../../i18n';
import { cx } from './cx';

type Tone = 'info' | 'success' | 'error';

/** A button (or an in-app link when `href` is set) inside a toast; clicking it also dismisses the toast. */
export interface ToastAction {
  label: string;
  onClick: () => void;
  href?: string;
}

export interface ToastOptions {
  action?: ToastAction;
  /** How long the toast stays, in milliseconds (default 4 s, errors 7 s). */
  durationMs?: number;
  testId?: string;
}

interface ToastItem {
  id: number;
  tone: Tone;
  message: string;
  options: ToastOptions;
}

interface ToastApi {
  show: (message: string, tone?: Tone, options?: ToastOptions) => void;
}

const ToastContext = createContext<ToastApi>({ show: () => undefined });

export function ToastProvider({ children }: { children: ReactNode }) {
  const [items, setItems] = useState<ToastItem[]>([]);
  const nextId = useRef(1);
  const { t } = useI18n();

  const dismiss = useCallback((id: number) => setItems((xs) => xs.filter((x) => x.id !== id)), []);
  const show = useCallback(
    (message: string, tone: Tone = 'info', options: ToastOptions = {}) => {
      const id = nextId.current++;
      setItems((xs) => [...xs.slice(-3), { id, tone, message, options }]);
      window.setTimeout(() => dismiss(id), options.durationMs ?? (tone === 'error' ? 7000 : 4000));
    },
    [dismiss],
  );
  const api = useMemo(() => ({ show }), [show]);

  return (
    <ToastContext.Provider value={api}>
      {children}
      <div
        aria-live="polite"
        className="pointer-events-none fixed inset-x-0 bottom-4 z-50 flex flex-col items-center gap-2 px-4 sm:bottom-6 sm:left-auto sm:right-6 sm:items-end"
      >
        {items.map((item) => {
          const action = item.options.action;
          const act = (e: { preventDefault: () => void }) => {
            if (!action) return;
            e.preventDefault();
            action.onClick();
            dismiss(item.id);
          };
          return (
            <div
              key={item.id}
              role={item.tone === 'error' ? 'alert' : 'status'}
              data-testid={item.options.testId ?? 'toast'}
              data-tone={item.tone}
              className={cx(
                'glass-strong pointer-events-auto flex w-full max-w-sm animate-fade-up items-center gap-3 px-4 py-3 text-sm shadow-glass',
                item.tone === 'error' && 'border-rose-400/40',
                item.tone === 'success' && 'border-neon-cyan/40',
              )}
            >
              <span
                aria-hidden="true"
                className={cx(
                  'h-2 w-2 shrink-0 rounded-full',
                  item.tone === 'error' ? 'bg-rose-400' : item.tone === 'success' ? 'bg-neon-cyan shadow-glow' : 'bg-neon-magenta',
                )}
              />
              <span className="flex-1 text-slate-100">{item.message}</span>
              {action &&
                (action.href ? (
                  <a href={action.href} onClick={act} className="shrink-0 font-medium text-neon-cyan underline-offset-4 hover:underline" data-testid="toast-action">
                    {action.label}
                  </a>
                ) : (
                  <button type="button" onClick={act} className="shrink-0 font-medium text-neon-cyan underline-offset-4 hover:underline" data-testid="toast-action">
                    {action.label}
                  </button>
                ))}
              <button type="button" onClick={() => dismiss(item.id)} className="text-slate-300 hover:text-white" aria-label={t('common.dismiss')}>
                ×
              </button>
            </div>
          );
        })}
      </div>
    </ToastContext.Provider>
  );
}

export function useToast(): ToastApi {
  return useContext(ToastContext);
}
