import { useCallback, useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { errorMessage } from '../../api/apiService';
import type { Task } from '../../api/types';
import { Button } from '../../components/ui/Button';
import { Modal } from '../../components/ui/Modal';
import { useToast } from '../../components/ui/Toast';
import { useDeleteTask } from '../../hooks/useTasks';
import { useI18n } from '../../i18n';
import { Lightbox } from './Lightbox';
import { TaskCard } from './TaskCard';

export function startFrameLink(task: Task): string {
  return `/video?image_url=${encodeURIComponent(task.result?.url ?? '')}`;
}

/** Cards plus the lightbox and the delete confirmation they open. */
export function TaskGrid({ tasks, compact }: { tasks: Task[]; compact?: boolean }) {
  const { t } = useI18n();
  const toast = useToast();
  const navigate = useNavigate();
  const [open, setOpen] = useState<Task | null>(null);
  const [toDelete, setToDelete] = useState<Task | null>(null);
  const del = useDeleteTask();

  const useAsStart = useCallback((task: Task) => navigate(startFrameLink(task)), [navigate]);
  const closeLightbox = useCallback(() => setOpen(null), []);
  const closeConfirm = useCallback(() => setToDelete(null), []);

  const confirmDelete = () => {
    if (!toDelete) return;
    del.mutate(toDelete.id, {
      onSuccess: () => toast.show(t('task.deleted'), 'success'),
      onError: (e) => toast.show(errorMessage(e), 'error'),
      onSettled: () => setToDelete(null),
    });
  };

  return (
    <>
      <div
        data-testid="task-grid"
        className={
          compact
            ? 'grid grid-cols-2 items-start gap-3 sm:grid-cols-3'
            : 'grid grid-cols-1 items-start gap-4 min-[480px]:grid-cols-2 lg:grid-cols-3 2xl:grid-cols-4'
        }
      >
        {tasks.map((task) => (
          <TaskCard key={task.id} task={task} onOpen={setOpen} onDelete={setToDelete} onUseAsStart={useAsStart} />
        ))}
      </div>
      <Lightbox task={open} onClose={closeLightbox} onUseAsStart={useAsStart} />
      <Modal open={Boolean(toDelete)} onClose={closeConfirm} title={t('task.delete')} closeLabel={t('common.cancel')} className="max-w-md" testId="confirm-delete">
        <div className="flex flex-col gap-4 p-5">
          <p className="text-sm text-slate-300">{t('task.deleteConfirm')}</p>
          <div className="flex justify-end gap-2">
            <Button onClick={closeConfirm}>{t('common.cancel')}</Button>
            <Button variant="danger" onClick={confirmDelete} loading={del.isPending} data-testid="confirm-delete-button">
              {t('task.delete')}
            </Button>
          </div>
        </div>
      </Modal>
    </>
  );
}
