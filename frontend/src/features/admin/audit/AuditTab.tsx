import { useState } from 'react';
import { GlassPanel } from '../../../components/ui/GlassPanel';
import { EmptyState, ErrorState, LoadingState } from '../../../components/ui/States';
import { useI18n } from '../../../i18n';
import { Pager } from '../Pager';
import { useAdminText } from '../text';
import { useAuditLog } from './api';

/** The audit log: who changed what (before → after), newest first. */
export function AuditTab() {
  const { formatDate } = useI18n();
  const a = useAdminText();
  const [cursor, setCursor] = useState<string | null>(null);
  const audit = useAuditLog(cursor);
  if (audit.isPending) return <LoadingState />;
  if (audit.isError) return <ErrorState error={audit.error} onRetry={() => void audit.refetch()} />;
  if (audit.data.items.length === 0) return <EmptyState>{a('empty')}</EmptyState>;
  return (
    <GlassPanel className="overflow-x-auto">
      <table className="w-full text-left text-sm" data-testid="admin-audit">
        <thead className="text-xs text-slate-400">
          <tr>
            <th className="py-1 pr-3">{a('when')}</th>
            <th className="py-1 pr-3">{a('who')}</th>
            <th className="py-1 pr-3">{a('what')}</th>
            <th className="py-1">{a('change')}</th>
          </tr>
        </thead>
        <tbody>
          {audit.data.items.map((e) => (
            <tr key={e.id} className="border-t border-white/5 align-top">
              <td className="py-2 pr-3 text-xs text-slate-400">{formatDate(e.created_at)}</td>
              <td className="py-2 pr-3 text-xs">{e.actor_email ?? e.actor_id}</td>
              <td className="py-2 pr-3">
                <span className="chip">{e.action}</span> <span className="text-xs text-slate-400">{e.target_id}</span>
              </td>
              <td className="py-2 font-mono text-xs text-slate-300">
                {Object.keys(e.after).map((k) => (
                  <div key={k}>
                    {k}: {JSON.stringify(e.before[k] ?? null)} → {JSON.stringify(e.after[k])}
                  </div>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager next={audit.data.next_cursor} onNext={setCursor} onFirst={cursor ? () => setCursor(null) : undefined} />
    </GlassPanel>
  );
}
