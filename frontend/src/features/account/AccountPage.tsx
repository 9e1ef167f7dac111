import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import type { Order, QuotaKind } from '../../api/types';
import { Button } from '../../components/ui/Button';
import { GlassPanel } from '../../components/ui/GlassPanel';
import { ProgressBar } from '../../components/ui/ProgressBar';
import { ErrorState, LoadingState, PageHeader } from '../../components/ui/States';
import { meKey, useMe, useSignOut } from '../../hooks/useSession';
import { useI18n, type MessageKey } from '../../i18n';
import { useAdminText } from '../admin/text';
import { useMyOrders } from '../billing/api';
import { formatPrice } from '../billing/money';
import { ApiTokensPanel, PasswordPanel, UsagePanel } from './AccountSections';

const KINDS: QuotaKind[] = ['video', 'image', 'chat'];
const POLL_MS = 2_000;
const POLL_FOR_MS = 120_000; // Stripe's webhook usually lands within seconds of the redirect

export default function AccountPage() {
  const { t, formatDate, lang } = useI18n();
  const a = useAdminText();
  const me = useMe();
  const signOut = useSignOut();
  const qc = useQueryClient();
  const [params] = useSearchParams();
  const returnedOrder = params.get('order');
  const [since] = useState(() => Date.now());
  const orders = useMyOrders({
    // Back from checkout: poll until the order the user just paid is settled.
    pollWhile: (items) => items.find((x) => x.id === returnedOrder)?.status === 'PENDING' && Date.now() - since < POLL_FOR_MS,
    pollMs: POLL_MS,
  });
  const returned: Order | undefined = orders.data?.items.find((o) => o.id === returnedOrder);
  const returnedStatus = returned?.status;

  useEffect(() => {
    // New credits: refresh the header badge and the profile as soon as the order is paid.
    if (returnedStatus === 'PAID') void qc.invalidateQueries({ queryKey: meKey });
  }, [returnedStatus, qc]);

  if (me.isPending) return <LoadingState />;
  if (me.isError) return <ErrorState error={me.error} onRetry={() => void me.refetch()} />;
  const user = me.data;

  return (
    <div>
      <PageHeader title={t('account.title')} actions={<Button onClick={signOut}>{t('auth.logout')}</Button>} />
      {returned && (
        <div
          role="status"
          data-testid="order-result"
          data-status={returned.status}
          className={
            'mb-4 rounded-2xl border px-4 py-3 text-sm ' +
            (returned.status === 'PAID' ? 'border-neon-cyan/40 bg-neon-cyan/10 text-neon-cyan' : 'border-white/10 bg-white/5 text-slate-300')
          }
        >
          {returned.status === 'PAID'
            ? a('orderPaid', { n: returned.credits })
            : returned.status === 'PENDING'
              ? a('orderPending')
              : returned.status === 'CANCELED'
                ? a('orderCanceled')
                : a('orderRefunded')}
        </div>
      )}
      <div className="grid gap-4 lg:grid-cols-2">
        <GlassPanel data-testid="account-profile">
          <h2 className="label">{t('account.profile')}</h2>
          <p className="text-lg font-medium">{user.name || user.email}</p>
          <p className="text-sm text-slate-400" data-testid="account-email">{user.email}</p>
          <p className="mt-2 text-xs text-slate-400">{t('account.memberSince', { date: formatDate(user.created_at) })}</p>
          <p className="mt-4 flex gap-2 text-sm">
            <span className="chip">
              {t('account.role')}: {t(`role.${user.role}` as MessageKey)}
            </span>
            <span className="chip border-neon-cyan/40 text-neon-cyan" data-testid="account-credits" data-credits={user.credits}>
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
                  <p className="mt-1 text-[11px] text-slate-400">{t('header.resets', { time: formatDate(q.resets_at) })}</p>
                </li>
              );
            })}
          </ul>
        </GlassPanel>
        <PasswordPanel email={user.email} />
        <ApiTokensPanel />
        <UsagePanel />
        <GlassPanel className="lg:col-span-2">
          <h2 className="label">{t('account.orders')}</h2>
          {orders.isPending ? (
            <LoadingState />
          ) : orders.isError ? (
            <ErrorState error={orders.error} compact />
          ) : orders.data.items.length === 0 ? (
            <p className="text-sm text-slate-400">{t('account.noOrders')}</p>
          ) : (
            <div className="overflow-x-auto">
              <table className="w-full text-left text-sm" data-testid="orders-table">
                <tbody>
                  {orders.data.items.map((o) => (
                    <tr
                      key={o.id}
                      className={'border-t border-white/5' + (o.id === returnedOrder ? ' bg-white/5' : '')}
                      data-testid="order-row"
                      data-order-id={o.id}
                      data-status={o.status}
                    >
                      <td className="py-2 pr-4 text-slate-400">{formatDate(o.created_at)}</td>
                      <td className="py-2 pr-4">{t('pricing.credits', { n: o.credits })}</td>
                      <td className="py-2 pr-4 font-mono">{formatPrice(o.price_cents, o.currency, lang)}</td>
                      <td className="py-2">
                        <span className="chip">{t(`order.status.${o.status}` as MessageKey)}</span>
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
