import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/apiService';
import type { QuotaKind } from '../../api/types';
import { Button } from '../../components/ui/Button';
import { GlassPanel } from '../../components/ui/GlassPanel';
import { ProgressBar } from '../../components/ui/ProgressBar';
import { ErrorState, LoadingState, PageHeader } from '../../components/ui/States';
import { useMe, useSignOut } from '../../hooks/useSession';
import { useI18n, type MessageKey } from '../../i18n';
import { formatPrice } from '../billing/money';

const KINDS: QuotaKind[] = ['video', 'image', 'chat'];

export default function AccountPage() {
  const { t, formatDate, lang } = useI18n();
  const me = useMe();
  const signOut = useSignOut();
  const orders = useQuery({ queryKey: ['billing', 'orders'], queryFn: () => api.orders() });

  if (me.isPending) return <LoadingState />;
  if (me.isError) return <ErrorState error={me.error} onRetry={() => void me.refetch()} />;
  const user = me.data;

  return (
    <div>
      <PageHeader title={t('account.title')} actions={<Button onClick={signOut}>{t('auth.logout')}</Button>} />
      <div className="grid gap-4 lg:grid-cols-2">
        <GlassPanel data-testid="account-profile">
          <h2 className="label">{t('account.profile')}</h2>
          <p className="text-lg font-medium">{user.name || user.email}</p>
          <p className="text-sm text-slate-400" data-testid="account-email">{user.email}</p>
          <p className="mt-2 text-xs text-slate-500">{t('account.memberSince', { date: formatDate(user.created_at) })}</p>
          <p className="mt-4 flex gap-2 text-sm">
            <span className="chip">
              {t('account.role')}: {user.role}
            </span>
            <span className="chip border-neon-cyan/40 text-neon-cyan">
              {t('header.credits')}: {user.credits}
            </span>
          </p>
        </GlassPanel>
        <GlassPanel>
          <h2 className="label">{t('account.quota')}</h2>
          <ul className="flex flex-col gap-4">
            {KINDS.map((kind) => {
              const q = user.quota?.[kind];
              if (!q) return null;
              return (
                <li key={kind}>
                  <div className="mb-1 flex justify-between text-sm">
                    <span className="capitalize">{t(`kind.${kind}` as MessageKey)}</span>
                    <span className="font-mono text-xs text-slate-400">{t('account.usedOf', { used: q.used, limit: q.limit })}</span>
                  </div>
                  <ProgressBar value={q.limit ? (q.used / q.limit) * 100 : 0} active={false} label={t(`kind.${kind}` as MessageKey)} />
                  <p className="mt-1 text-[11px] text-slate-500">{t('header.resets', { time: formatDate(q.resets_at) })}</p>
                </li>
              );
            })}
          </ul>
        </GlassPanel>
        <GlassPanel className="lg:col-span-2">
          <h2 className="label">{t('account.orders')}</h2>
          {orders.isPending ? (
            <LoadingState />
          ) : orders.isError ? (
            <ErrorState error={orders.error} compact />
          ) : orders.data.items.length === 0 ? (
            <p className="text-sm text-slate-500">{t('account.noOrders')}</p>
          ) : (
            <div className="overflow-x-auto">
              <table className="w-full text-left text-sm" data-testid="orders-table">
                <tbody>
                  {orders.data.items.map((o) => (
                    <tr key={o.id} className="border-t border-white/5">
                      <td className="py-2 pr-4 text-slate-400">{formatDate(o.created_at)}</td>
                      <td className="py-2 pr-4">{t('pricing.credits', { n: o.credits })}</td>
                      <td className="py-2 pr-4 font-mono">{formatPrice(o.price_cents, o.currency, lang)}</td>
                      <td className="py-2">
                        <span className="chip">{o.status}</span>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </GlassPanel>
      </div>
    </div>
  );
}
