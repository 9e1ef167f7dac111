import { lazy, Suspense } from 'react';
import { ErrorState, LoadingState } from '../../../components/ui/States';
import { GlassPanel } from '../../../components/ui/GlassPanel';
import { useI18n } from '../../../i18n';
import { formatPrice } from '../../billing/money';
import { useAdminText } from '../text';
import { useAdminStats } from './api';

// Chart.js is loaded only when the dashboard is opened.
const StatsCharts = lazy(() => import('./StatsCharts'));

/** The dashboard: counters, breakdowns by status and type, and the charts. */
export function StatsTab() {
  const a = useAdminText();
  const { lang } = useI18n();
  const stats = useAdminStats();
  if (stats.isPending) return <LoadingState />;
  if (stats.isError) return <ErrorState error={stats.error} onRetry={() => void stats.refetch()} />;
  const s = stats.data;
  const revenue = Object.entries(s.revenue_cents).map(([cur, cents]) => formatPrice(cents, cur, lang));
  return (
    <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3" data-testid="admin-stats">
      <Tile label={a('users')} testId="stat-users" value={s.users} />
      <Tile label={a('today')} testId="stat-today" value={s.generations_today} />
      <Tile label={a('revenue')} testId="stat-revenue" value={revenue.length ? revenue.join(' · ') : '—'} />
      <Tile label={a('disabledUsers')} value={s.disabled_users} />
      <Group label={a('tasksByStatus')} values={s.tasks_by_status} />
      <Group label={a('tasksByType')} values={s.tasks_by_type} />
      <Group label={a('ordersByStatus')} values={s.orders_by_status} />
      <div className="sm:col-span-2 lg:col-span-3">
        <Suspense fallback={<LoadingState />}>
          <StatsCharts stats={s} />
        </Suspense>
      </div>
    </div>
  );
}

function Tile({ label, value, testId }: { label: string; value: string | number; testId?: string }) {
  return (
    <GlassPanel className="p-4 sm:p-4">
      <h3 className="label">{label}</h3>
      <p className="font-mono text-3xl text-neon-cyan" data-testid={testId}>
        {value}
      </p>
    </GlassPanel>
  );
}

function Group({ label, values }: { label: string; values: Record<string, number> }) {
  return (
    <GlassPanel className="p-4 sm:p-4">
      <h3 className="label">{label}</h3>
      <dl className="grid grid-cols-2 gap-x-4 gap-y-1 text-sm">
        {Object.entries(values).map(([k, v]) => (
          <div key={k} className="contents">
            <dt className="text-slate-400">{k}</dt>
            <dd className="text-right font-mono text-neon-cyan">{v}</dd>
          </div>
        ))}
      </dl>
    </GlassPanel>
  );
}
