import type { ReactNode } from 'react';
import { Link } from 'react-router-dom';
import { ApiError, errorMessage } from '../../api/apiService';
import { useI18n } from '../../i18n';
import { Button } from './Button';
import { Spinner } from './Spinner';

/** The one way a failed load is shown: the readable message, a pricing link when it helps, a retry. */
export function ErrorState({ error, onRetry, compact }: { error: unknown; onRetry?: () => void; compact?: boolean }) {
  const { t } = useI18n();
  const unavailable = error instanceof ApiError && (error.status === 404 || error.code === 'not_enabled');
  return (
    <div
      role="alert"
      data-testid="error-state"
      className={compact ? 'text-sm text-rose-200' : 'glass flex flex-col items-start gap-3 border-rose-400/25 p-5 text-sm text-rose-100'}
    >
      {!compact && <strong className="text-base text-rose-200">{unavailable ? t('common.notAvailable') : t('common.error')}</strong>}
      {compact ? <p>{unavailable ? t('common.notAvailable') : errorMessage(error)}</p> : !unavailable && <p>{errorMessage(error)}</p>}
      <ErrorAction error={error} />
      {onRetry && (
        <Button size="sm" onClick={onRetry}>
          {t('common.retry')}
        </Button>
      )}
    </div>
  );
}

export function ErrorAction({ error }: { error: unknown }) {
  const { t } = useI18n();
  if (error instanceof ApiError && error.action === 'pricing')
    return (
      <Link to="/pricing" className="text-neon-cyan underline-offset-4 hover:underline" data-testid="error-pricing-link">
        {t('err.toPricing')} →
      </Link>
    );
  return null;
}

export function LoadingState({ label }: { label?: string }) {
  const { t } = useI18n();
  return (
    <div className="flex justify-center py-10" data-testid="loading-state">
      <Spinner label={label ?? t('common.loading')} />
    </div>
  );
}

export function EmptyState({ children }: { children: ReactNode }) {
  return (
    <div data-testid="empty-state" className="glass px-6 py-12 text-center text-sm text-slate-400">
      {children}
    </div>
  );
}

export function PageHeader({ title, subtitle, actions }: { title: string; subtitle?: string; actions?: ReactNode }) {
  return (
    <header className="mb-6 flex flex-wrap items-end justify-between gap-4">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight sm:text-3xl">
          <span className="neon-text">{title}</span>
        </h1>
        {subtitle && <p className="mt-1 text-sm text-slate-400">{subtitle}</p>}
      </div>
      {actions}
    </header>
  );
}
