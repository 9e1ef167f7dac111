import { forwardRef, type ButtonHTMLAttributes } from 'react';
import { cx } from './cx';
import { Spinner } from './Spinner';

type Variant = 'primary' | 'ghost' | 'danger' | 'subtle';
type Size = 'sm' | 'md' | 'lg';

interface Props extends ButtonHTMLAttributes<HTMLButtonElement> {
  variant?: Variant;
  size?: Size;
  loading?: boolean;
}

const VARIANTS: Record<Variant, string> = {
  primary:
    'text-ink-950 font-semibold bg-gradient-to-r from-neon-cyan to-neon-magenta shadow-glow hover:shadow-glow-magenta hover:brightness-110',
  ghost: 'text-slate-200 border border-white/15 bg-white/5 hover:border-neon-cyan/60 hover:text-white hover:bg-white/10',
  subtle: 'text-slate-300 hover:text-white hover:bg-white/10',
  danger: 'text-rose-200 border border-rose-400/30 bg-rose-500/10 hover:bg-rose-500/20 hover:border-rose-400/60',
};

const SIZES: Record<Size, string> = {
  sm: 'h-8 px-3 text-xs gap-1.5',
  md: 'h-10 px-4 text-sm gap-2',
  lg: 'h-12 px-6 text-base gap-2',
};

export const Button = forwardRef<HTMLButtonElement, Props>(function Button(
  { variant = 'ghost', size = 'md', loading, disabled, className, children, type = 'button', ...rest },
  ref,
) {
  return (
    <button
      ref={ref}
      type={type}
      disabled={disabled || loading}
      aria-busy={loading || undefined}
      className={cx(
        'relative inline-flex select-none items-center justify-center rounded-xl transition duration-150 ease-out',
        'active:scale-[0.97] disabled:cursor-not-allowed disabled:opacity-50 disabled:active:scale-100',
        VARIANTS[variant],
        SIZES[size],
        className,
      )}
      {...rest}
    >
      {loading && <Spinner />}
      {children}
    </button>
  );
});
