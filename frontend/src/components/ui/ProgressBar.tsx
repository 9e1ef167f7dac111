import { cx } from './cx';

interface Props {
  value: number;
  label: string;
  active?: boolean;
  className?: string;
}

export function ProgressBar({ value, label, active = true, className }: Props) {
  const pct = Math.max(0, Math.min(100, value));
  return (
    <div
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(pct)}
      data-testid="progress-bar"
      className={cx('relative h-1.5 w-full overflow-hidden rounded-full bg-white/10', className)}
    >
      <div
        className="h-full rounded-full bg-gradient-to-r from-neon-cyan via-neon-violet to-neon-magenta transition-[width] duration-700 ease-linear shadow-[0_0_12px_rgba(34,211,238,.55)]"
        style={{ width: `${Math.max(pct, active ? 3 : 0)}%` }}
      />
      {active && (
        <div aria-hidden="true" className="absolute inset-0 overflow-hidden">
          <div className="h-full w-1/2 animate-shimmer bg-gradient-to-r from-transparent via-white/40 to-transparent" />
        </div>
      )}
    </div>
  );
}
