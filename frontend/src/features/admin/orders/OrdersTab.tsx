import { useState } from 'react';
import { errorMessage } from '../../../api/apiService';
import { orderStatusValues, type OrderStatus } from '../../../api/generated';
import { Button } from '../../../components/ui/Button';
import { ConfirmDialog } from '../../../components/ui/ConfirmDialog';
import { GlassPanel } from '../../../components/ui/GlassPanel';
import { Select } from '../../../components/ui/Select';
import { EmptyState, ErrorState, LoadingState } from '../../../components/ui/States';
import { useToast } from '../../../components/ui/Toast';
import { useI18n, type MessageKey } from '../../../i18n';
import { formatPrice } from '../../billing/money';
import { Pager } from '../Pager';
import { useAdminText } from '../text';
import { useAdminOrders, useRefundOrder } from './api';

const ORDER_STATUSES = orderStatusValues; // generated from the API's OrderStatus

/** Every user's orders, filtered by status; a PAID order can be refunded after a confirmation. */
export function OrdersTab() {
  const { t, formatDate, lang } = useI18n();
  const a = useAdminText();
  const toast = useToast();
  const [refunding, setRefunding] = useState<string | null>(null);
  const [status, setStatus] = useState<OrderStatus | ''>('');
  const [cursor, setCursor] = useState<string | null>(null);
  const orders = useAdminOrders(status, cursor);
  const refund = useRefundOrder();
  return (
    <GlassPanel className="overflow-x-auto">
      <Select
        label={a('filter')}
        className="mb-3 max-w-xs"
        value={status}
        onChange={(e) => {
          setCursor(null);
          setStatus(e.target.value as OrderStatus | '');
        }}
        options={[{ value: '', label: a('allStatuses') }, ...ORDER_STATUSES.map((s) => ({ value: s, label: t(`order.status.${s}` as MessageKey) }))]}
      />
      {orders.isPending ? (
        <LoadingState />
      ) : orders.isError ? (
        <ErrorState error={orders.error} onRetry={() => void orders.refetch()} />
      ) : orders.data.items.length === 0 ? (
        <EmptyState>{a('empty')}</EmptyState>
      ) : (
        <>
          <table className="w-full text-left text-sm" data-testid="admin-orders">
            <tbody>
              {orders.data.items.map((o) => (
                <tr key={o.id} className="border-t border-white/5" data-testid="admin-order-row" data-status={o.status}>
                  <td className="py-2 pr-3 text-xs text-slate-400">{formatDate(o.created_at)}</td>
                  <td className="py-2 pr-3 text-xs text-slate-400">{o.email ?? o.user_id}</td>
                  <td className="py-2 pr-3">{o.package_id}</td>
                  <td className="py-2 pr-3 font-mono text-neon-cyan">{o.credits}</td>
                  <td className="py-2 pr-3 font-mono">{formatPrice(o.price_cents, o.currency, lang)}</td>
                  <td className="py-2 pr-3">
                    <span className="chip">{t(`order.status.${o.status}` as MessageKey)}</span> <span className="text-xs text-slate-400">{o.provider}</span>
                  </td>
                  <td className="py-2 text-right">
                    {o.status === 'PAID' && (
                      <Button
                        size="sm"
                        variant="danger"
                        onClick={() => setRefunding(o.id)}
                        loading={refund.isPending && refund.variables === o.id}
                        data-testid="admin-order-refund"
                      >
                        {a('refund')}
                      </Button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager next={orders.data.next_cursor} onNext={setCursor} onFirst={cursor ? () => setCursor(null) : undefined} />
        </>
      )}
      <ConfirmDialog
        open={Boolean(refunding)}
        title={a('refund')}
        confirmLabel={a('refund')}
        danger
        loading={refund.isPending}
        onClose={() => setRefunding(null)}
        onConfirm={() =>
          refunding &&
          refund.mutate(refunding, {
            onSuccess: () => toast.show(a('refunded'), 'success'),
            onError: (e) => toast.show(errorMessage(e), 'error'),
            onSettled: () => setRefunding(null),
          })
        }
        testId="admin-refund-confirm"
      >
        {a('refundConfirm')}
      </ConfirmDialog>
    </GlassPanel>
  );
}
