import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
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
      {compact ? (
        <div data-testid="task-grid" className="grid grid-cols-2 items-start gap-3 sm:grid-cols-3">
          {tasks.map((task) => (
            <TaskCard key={task.id} task={task} onOpen={setOpen} onDelete={setToDelete} onUseAsStart={useAsStart} />
          ))}
        </div>
      ) : (
        <Masonry tasks={tasks} render={(task) => <TaskCard key={task.id} task={task} onOpen={setOpen} onDelete={setToDelete} onUseAsStart={useAsStart} />} />
      )}
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

const GAP_PX = 16;
const CARD_INFO_PX = 132; // the text block under a card's media, for the height estimate

function ratioOf(task: Task): number {
  const r = task.params?.aspect_ratio;
  if (typeof r === 'string' && /^\d+:\d+$/.test(r)) {
    const [w, h] = r.split(':').map(Number);
    if (w > 0 && h > 0) return h / w;
  }
  return 1;
}

/** Columns for a container width: two on a phone, up to four on a wide screen. */
export function columnsFor(width: number): number {
  if (width >= 1200) return 4;
  if (width >= 760) return 3;
  return 2;
}

/**
 * Deals tasks into columns, each to the currently shortest one (heights estimated
 * from the aspect ratio), so reading order stays newest-first across the rows
 * and no short card leaves a hole under it.
 */
export function dealColumns(tasks: Task[], columns: number, columnWidth: number): Task[][] {
  const cols: Task[][] = Array.from({ length: columns }, () => []);
  const heights = new Array<number>(columns).fill(0);
  for (const task of tasks) {
    let target = 0;
    for (let i = 1; i < columns; i++) if (heights[i] < heights[target] - 1) target = i;
    cols[target].push(task);
    heights[target] += columnWidth * ratioOf(task) + CARD_INFO_PX + GAP_PX;
  }
  return cols;
}

function Masonry({ tasks, render }: { tasks: Task[]; render: (task: Task) => ReactNode }) {
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const measure = () => setWidth(el.clientWidth);
    measure();
    if (typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const columns = columnsFor(width || 1024);
  const columnWidth = ((width || 1024) - GAP_PX * (columns - 1)) / columns;
  const dealt = dealColumns(tasks, columns, columnWidth);
  return (
    <div ref={box} data-testid="task-grid" data-layout="masonry" className="flex items-start gap-3 sm:gap-4">
      {dealt.map((col, i) => (
        <div key={i} className="flex min-w-0 flex-1 flex-col gap-3 sm:gap-4" data-testid="masonry-column">
          {col.map(render)}
        </div>
      ))}
    </div>
  );
}
