import { useEffect, useId, useRef, type ReactNode } from 'react';
import { createPortal } from 'react-dom';
import { cx } from './cx';

interface Props {
  open: boolean;
  onClose: () => void;
  title: string;
  closeLabel: string;
  children: ReactNode;
  className?: string;
  testId?: string;
}

const FOCUSABLE = 'a[href],button:not([disabled]),input,select,textarea,video[controls],[tabindex]:not([tabindex="-1"])';

/** An accessible dialog: Escape closes, focus is trapped inside and returned on close. */
export function Modal({ open, onClose, title, closeLabel, children, className, testId }: Props) {
  const panel = useRef<HTMLDivElement>(null);
  const titleId = useId();

  useEffect(() => {
    if (!open) return;
    const previous = document.activeElement as HTMLElement | null;
    const node = panel.current;
    const autofocus = node?.querySelector<HTMLElement>('[data-autofocus]');
    if (autofocus) autofocus.focus();
    else node?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        onClose();
      } else if (e.key === 'Tab' && node) {
        const items = Array.from(node.querySelectorAll<HTMLElement>(FOCUSABLE));
        if (items.length === 0) return;
        const first = items[0];
        const last = items[items.length - 1];
        if (e.shiftKey && document.activeElement === first) {
          e.preventDefault();
          last.focus();
        } else if (!e.shiftKey && document.activeElement === last) {
          e.preventDefault();
          first.focus();
        }
      }
    };
    document.addEventListener('keydown', onKey);
    const overflow = document.body.style.overflow;
    document.body.style.overflow = 'hidden';
    return () => {
      document.removeEventListener('keydown', onKey);
      document.body.style.overflow = overflow;
      previous?.focus?.();
    };
  }, [open, onClose]);

  if (!open) return null;
  return createPortal(
    <div className="fixed inset-0 z-40 flex items-center justify-center p-3 sm:p-6">
      <div aria-hidden="true" className="absolute inset-0 animate-fade-up bg-ink-950/80 backdrop-blur-sm" onClick={onClose} />
      <div
        ref={panel}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        tabIndex={-1}
        data-testid={testId}
        className={cx('glass-strong relative flex max-h-full w-full max-w-5xl animate-fade-up flex-col overflow-hidden', className)}
      >
        <div className="flex items-center justify-between gap-4 border-b border-white/10 px-4 py-3">
          <h2 id={titleId} className="truncate text-sm font-medium text-slate-300">
            {title}
          </h2>
          <button
            type="button"
            data-autofocus
            data-testid="modal-close"
            onClick={onClose}
            aria-label={closeLabel}
            className="rounded-lg px-2 py-1 text-lg leading-none text-slate-400 transition hover:bg-white/10 hover:text-white"
          >
            ×
          </button>
        </div>
        <div className="min-h-0 flex-1 overflow-auto">{children}</div>
      </div>
    </div>,
    document.body,
  );
}
