// The billing function's routes for a signed-in user (API.md, Billing): the credit packages,
// starting a checkout, and the user's own orders.
import { useMutation, useQuery } from '@tanstack/react-query';
import { resolveHref } from '../../api/apiService';
import { client, unwrap } from '../../api/client';

export const billingKeys = {
  all: ['billing'] as const,
  packages: () => [...billingKeys.all, 'packages'] as const,
  orders: () => [...billingKeys.all, 'orders'] as const,
};

/** The packages on sale (admin-editable; cached for a minute). */
export function usePackages() {
  return useQuery({ queryKey: billingKeys.packages(), queryFn: () => unwrap(client.GET('/api/billing/packages')), staleTime: 60_000 });
}

/** Starts a checkout for a package and leaves for the payment page (Stripe, or the sandbox). */
export function useCheckout() {
  return useMutation({
    mutationFn: (packageId: string) => unwrap(client.POST('/api/billing/checkout', { body: { package_id: packageId } })),
    onSuccess: (res) => window.location.assign(resolveHref(res.checkout_url)),
  });
}

/**
 * The user's orders, newest first. `pollWhile(order)` → true keeps polling every `pollMs`
 * (e.g. back from checkout, until the order just paid is settled).
 */
export function useMyOrders({ pollWhile, pollMs }: { pollWhile?: (items: { id: string; status: string }[]) => boolean; pollMs?: number } = {}) {
  return useQuery({
    queryKey: billingKeys.orders(),
    queryFn: () => unwrap(client.GET('/api/billing/orders')),
    refetchInterval: (query) => (pollWhile && query.state.data && pollWhile(query.state.data.items) ? (pollMs ?? false) : false),
  });
}
