// GET /api/admin/stats: the dashboard's counters, refreshed every 30 s while the tab is open.
import { useQuery } from '@tanstack/react-query';
import { client, unwrap } from '../../../api/client';
import { adminKeys } from '../keys';

export const statsKeys = {
  all: [...adminKeys.all, 'stats'] as const,
};

export function useAdminStats() {
  return useQuery({
    queryKey: statsKeys.all,
    queryFn: () => unwrap(client.GET('/api/admin/stats')),
    refetchInterval: 30_000,
  });
}
