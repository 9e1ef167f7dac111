import { forwardRef, useId, type InputHTMLAttributes, type TextareaHTMLAttributes } from 'react';
import { cx } from './cx';

interface FieldProps {
  label: string;
  error?: string | null;
  hint?: string;
}

export const Input = forwardRef<HTMLInputElement, FieldProps & InputHTMLAttributes<HTMLInputElement>>(function Input(
  { label, error, hint, className, id, ...rest },
  ref,
) {
  const autoId = useId();
  const inputId = id ?? autoId;
  const describedBy = error ? `${inputId}-error` : hint ? `${inputId}-hint` : undefined;
  return (
    <div className={className}>
      <label htmlFor={inputId} className="label">
        {label}
      </label>
      <input
        ref={ref}
        id={inputId}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
        className={cx('field', error && 'border-rose-400/60')}
        {...rest}
      />
      <FieldMessage id={inputId} error={error} hint={hint} />
    </div>
  );
});

export const Textarea = forwardRef<HTMLTextAreaElement, FieldProps & TextareaHTMLAttributes<HTMLTextAreaElement>>(
  function Textarea({ label, error, hint, className, id, ...rest }, ref) {
    const autoId = useId();
    const inputId = id ?? autoId;
    const describedBy = error ? `${inputId}-error` : hint ? `${inputId}-hint` : undefined;
    return (
      <div className={className}>
        <label htmlFor={inputId} className="label">
          {label}
        </label>
        <textarea
          ref={ref}
          id={inputId}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy}
          className={cx('field min-h-[7rem] resize-y leading-relaxed', error && 'border-rose-400/60')}
          {...rest}
        />
        <FieldMessage id={inputId} error={error} hint={hint} />
      </div>
    );
  },
);

function FieldMessage({ id, error, hint }: { id: string; error?: string | null; hint?: string }) {
  if (error)
    return (
      <p id={`${id}-error`} role="alert" className="mt-1.5 text-xs text-rose-300">
        {error}
      </p>
    );
  if (hint)
    return (
      <p id={`${id}-hint`} className="mt-1.5 text-xs text-slate-400">
        {hint}
      </p>
    );
  return null;
}
