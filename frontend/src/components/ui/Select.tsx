import { useId, type SelectHTMLAttributes } from 'react';
import { cx } from './cx';

interface Option {
  value: string;
  label: string;
}

interface Props extends Omit<SelectHTMLAttributes<HTMLSelectElement>, 'children'> {
  label: string;
  options: readonly Option[];
}

export function Select({ label, options, className, id, ...rest }: Props) {
  const autoId = useId();
  const selectId = id ?? autoId;
  return (
    <div className={className}>
      <label htmlFor={selectId} className="label">
        {label}
      </label>
      <select id={selectId} className={cx('field cursor-pointer appearance-none pr-8')} {...rest}>
        {options.map((o) => (
          <option key={o.value} value={o.value} className="bg-ink-900">
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}

/** A row of toggle buttons for a small set of choices (aspect ratio, duration, mode). */
export function Segmented<T extends string | number>({
  label,
  value,
  options,
  onChange,
  testId,
}: {
  label: string;
  value: T;
  options: readonly { value: T; label: string }[];
  onChange: (v: T) => void;
  testId?: string;
}) {
  const labelId = useId();
  return (
    <div role="radiogroup" aria-labelledby={labelId} data-testid={testId}>
      <span id={labelId} className="label">
        {label}
      </span>
      <div className="flex flex-wrap gap-2">
        {options.map((o) => {
          const active = o.value === value;
          return (
            <button
              key={String(o.value)}
              type="button"
              role="radio"
              aria-checked={active}
              data-value={String(o.value)}
              onClick={() => onChange(o.value)}
              className={cx(
                'rounded-lg border px-3 py-1.5 text-sm transition duration-150 active:scale-95',
                active
                  ? 'border-neon-cyan/70 bg-neon-cyan/10 text-white shadow-glow'
                  : 'border-white/10 bg-white/5 text-slate-300 hover:border-white/25 hover:text-white',
              )}
            >
              {o.label}
            </button>
          );
        })}
      </div>
    </div>
  );
}
