// GET /api/admin/orders (filtered by status) and POST /api/admin/orders/{order_id}/refund.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { client, unwrap } from '../../../api/client';
import type { OrderStatus } from '../../../api/generated';
import { adminKeys } from '../keys';

export const orderKeys = {
  all: [...adminKeys.all, 'orders'] as const,
  page: (status: OrderStatus | '', cursor: string | null) => [...orderKeys.all, status, cursor] as const,
};

export function useAdminOrders(status: OrderStatus | '', cursor: string | null) {
  return useQuery({
    queryKey: orderKeys.page(status, cursor),
    queryFn: () => unwrap(client.GET('/api/admin/orders', { params: { query: { status: status || undefined, cursor: cursor ?? undefined } } })),
  });
}

/** Refunds a PAID order; a refund moves orders, credits, stats and the audit log, so all of admin is refetched. */
export function useRefundOrder() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(client.POST('/api/admin/orders/{order_id}/refund', { params: { path: { order_id: id } } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: adminKeys.all }),
  });
}
