import { useState } from 'react';
import { errorMessage } from '../../../api/apiService';
import { taskStatusValues, type TaskStatus, type TaskType } from '../../../api/generated';
import { Button } from '../../../components/ui/Button';
import { GlassPanel } from '../../../components/ui/GlassPanel';
import { Select } from '../../../components/ui/Select';
import { EmptyState, ErrorState, LoadingState } from '../../../components/ui/States';
import { useToast } from '../../../components/ui/Toast';
import { useI18n, type MessageKey } from '../../../i18n';
import { Pager } from '../Pager';
import { useAdminText } from '../text';
import { useAdminTasks, useRetryTask } from './api';

const TASK_STATUSES = taskStatusValues; // generated from the API's TaskStatus

/** Tasks of every user, filtered by status and type; a FAILED task can be retried. */
export function TasksTab() {
  const { t, formatDate } = useI18n();
  const a = useAdminText();
  const toast = useToast();
  const [status, setStatus] = useState<TaskStatus | ''>('');
  const [type, setType] = useState<TaskType | ''>('');
  const [cursor, setCursor] = useState<string | null>(null);
  const tasks = useAdminTasks({ status, type }, cursor);
  const retry = useRetryTask();
  const onRetry = (id: string) =>
    retry.mutate(id, {
      onSuccess: () => toast.show(a('retried'), 'success'),
      onError: (e) => toast.show(errorMessage(e), 'error'),
    });
  return (
    <GlassPanel className="overflow-x-auto">
      <div className="mb-3 flex flex-wrap gap-2">
        <Select
          label={a('filter')}
          value={status}
          onChange={(e) => {
            setCursor(null);
            setStatus(e.target.value as TaskStatus | '');
          }}
          options={[{ value: '', label: a('allStatuses') }, ...TASK_STATUSES.map((s) => ({ value: s, label: t(`task.status.${s}` as MessageKey) }))]}
          data-testid="admin-task-status"
        />
        <Select
          label={a('allTypes')}
          value={type}
          onChange={(e) => {
            setCursor(null);
            setType(e.target.value as TaskType | '');
          }}
          options={[{ value: '', label: a('allTypes') }, { value: 'image', label: t('kind.image') }, { value: 'video', label: t('kind.video') }]}
        />
      </div>
      {tasks.isPending ? (
        <LoadingState />
      ) : tasks.isError ? (
        <ErrorState error={tasks.error} onRetry={() => void tasks.refetch()} />
      ) : tasks.data.items.length === 0 ? (
        <EmptyState>{a('empty')}</EmptyState>
      ) : (
        <>
          <table className="w-full text-left text-sm" data-testid="admin-tasks">
            <tbody>
              {tasks.data.items.map((task) => (
                <tr key={task.id} className="border-t border-white/5" data-testid="admin-task-row" data-status={task.status}>
                  <td className="py-2 pr-3 text-xs text-slate-400">{formatDate(task.created_at)}</td>
                  <td className="py-2 pr-3 text-xs text-slate-400">{task.email ?? task.user_id}</td>
                  <td className="py-2 pr-3">{task.type}</td>
                  <td className="py-2 pr-3">
                    <span className="chip" title={task.error?.message ?? undefined}>
                      {t(`task.status.${task.status}` as MessageKey)}
                    </span>
                  </td>
                  <td className="max-w-xs truncate py-2 pr-3" title={task.prompt}>
                    {task.prompt}
                  </td>
                  <td className="py-2 text-right">
                    {task.status === 'FAILED' && (
                      <Button size="sm" onClick={() => onRetry(task.id)} loading={retry.isPending && retry.variables === task.id} data-testid="admin-task-retry">
                        {t('admin.retry')}
                      </Button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager next={tasks.data.next_cursor} onNext={setCursor} onFirst={cursor ? () => setCursor(null) : undefined} />
        </>
      )}
    </GlassPanel>
  );
}
