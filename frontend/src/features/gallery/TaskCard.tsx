import { useState } from 'react';
import { downloadUrl, errorMessage, mediaUrl } from '../../api/apiService';
import type { Task } from '../../api/types';
import { Icon } from '../../components/layout/icons';
import { ProgressBar } from '../../components/ui/ProgressBar';
import { cx } from '../../components/ui/cx';
import { formatEta } from '../../components/ui/format';
import { useToast } from '../../components/ui/Toast';
import { useSmoothProgress } from '../../hooks/useSmoothProgress';
import { isActive, useCancelTask } from '../../hooks/useTasks';
import { useI18n, type MessageKey } from '../../i18n';
import { aspectStyle, MediaImage } from '../../components/media/MediaImage';
import { TaskActions, VariationChip } from '../creative/TaskActions';

interface Props {
  task: Task;
  onOpen?: (task: Task) => void;
  onDelete?: (task: Task) => void;
  onUseAsStart?: (task: Task) => void;
}

const STATUS_STYLE: Record<Task['status'], string> = {
  PENDING: 'border-amber-300/30 text-amber-200',
  GENERATING: 'border-neon-cyan/40 text-neon-cyan animate-pulseglow',
  COMPLETED: 'border-emerald-300/30 text-emerald-200',
  FAILED: 'border-rose-400/40 text-rose-200',
};

export function TaskCard({ task, onOpen, onDelete, onUseAsStart }: Props) {
  const { t, formatDate } = useI18n();
  const active = isActive(task);
  const done = task.status === 'COMPLETED' && task.result;
  const thumb = task.result?.thumbnail_url ?? (task.type === 'image' ? task.result?.url : null);
  const smooth = useSmoothProgress(task);
  // Videos preview on hover (mouse only; touch opens the lightbox).
  const [preview, setPreview] = useState(false);
  const stage = task.stage ?? (task.status === 'PENDING' ? 'queued' : null);

  return (
    <article
      data-testid="task-card"
      data-status={task.status}
      data-task-id={task.id}
      data-type={task.type}
      className="glass group flex animate-fade-up flex-col overflow-hidden p-0 transition duration-200 hover:-translate-y-0.5 hover:border-neon-cyan/30 hover:shadow-glow"
    >
      <div className="relative overflow-hidden bg-ink-950/60" style={aspectStyle(task.params?.aspect_ratio)}>
        {done ? (
          <button
            type="button"
            onClick={() => onOpen?.(task)}
            className="absolute inset-0 h-full w-full"
            aria-label={`${t('task.open')}: ${task.prompt}`}
            data-testid="task-open"
            onPointerEnter={(e) => e.pointerType === 'mouse' && task.type === 'video' && setPreview(true)}
            onPointerLeave={() => setPreview(false)}
          >
            {thumb ? (
              <MediaImage src={thumb} alt="" loading="lazy" className="h-full w-full object-cover transition duration-300 group-hover:scale-[1.03]" data-testid="task-thumb" />
            ) : (
              <video
                src={mediaUrl(task.result?.url)}
                preload="metadata"
                muted
                playsInline
                className="h-full w-full object-cover"
                data-testid="task-thumb"
              />
            )}
            {task.type === 'video' && preview && (
              <video
                src={mediaUrl(task.result?.url)}
                muted
                loop
                autoPlay
                playsInline
                aria-hidden="true"
                className="absolute inset-0 h-full w-full object-cover"
                data-testid="task-hover-preview"
              />
            )}
            {task.type === 'video' && !preview && (
              <span aria-hidden="true" className="absolute inset-0 grid place-items-center opacity-80 transition group-hover:opacity-100">
                <span className="grid h-12 w-12 place-items-center rounded-full border border-white/30 bg-ink-950/60 backdrop-blur">
                  <Icon name="play" className="h-7 w-7 text-white" />
                </span>
              </span>
            )}
          </button>
        ) : (
          <div aria-hidden="true" className="absolute inset-0 grid place-items-center text-slate-400">
            {/* Only the light sweeps; the icon stays put. */}
            {active && (
              <span className="absolute inset-0 overflow-hidden">
                <span className="absolute inset-y-0 -left-1/2 w-1/2 animate-sweep bg-gradient-to-r from-transparent via-neon-cyan/10 to-transparent" />
              </span>
            )}
            <Icon name={task.type === 'video' ? 'video' : 'image'} className={cx('relative h-10 w-10', active && 'text-neon-cyan/60')} />
          </div>
        )}
        <span className={cx('chip absolute left-2 top-2 bg-ink-950/70 backdrop-blur', STATUS_STYLE[task.status])} data-testid="task-status">
          {t(`task.status.${task.status}` as MessageKey)}
        </span>
        <span className="chip absolute bottom-2 right-2 bg-ink-950/75 text-slate-200 backdrop-blur">
          {t(task.type === 'video' ? 'task.video' : 'task.image')}
          {task.type === 'video' && task.params?.duration_s ? ` · ${String(task.params.duration_s)}s` : ''}
        </span>
      </div>

      <div className="flex flex-1 flex-col gap-2 p-3">
        {active && (
          <div className="flex flex-col gap-1">
            <ProgressBar value={smooth.value} label={t('task.progress')} />
            <div className="flex items-center justify-between gap-2 text-[11px]">
              <span className="truncate text-slate-300" data-testid="task-stage" data-stage={stage ?? ''}>
                {stage ? t(`task.stage.${stage}` as MessageKey) : t('task.status.GENERATING')}
              </span>
              <span className="shrink-0 font-mono text-neon-cyan" data-testid="task-progress" data-progress={task.progress} data-eta={task.eta_s ?? ""}>
                {smooth.etaS !== null ? t('task.eta', { time: formatEta(smooth.etaS) }) : `${Math.round(smooth.value)}%`}
              </span>
            </div>
          </div>
        )}
        {task.status === 'FAILED' && (
          <p className="rounded-lg border border-rose-400/25 bg-rose-500/10 px-2.5 py-1.5 text-xs text-rose-200" data-testid="task-error">
            {task.error?.message || t('task.failedFallback')}
          </p>
        )}
        <p className="line-clamp-2 text-sm text-slate-200" title={task.prompt}>
          {task.prompt}
        </p>
        <p className="mt-auto flex items-center gap-2 text-[11px] text-slate-400">
          {formatDate(task.created_at)}
          <VariationChip task={task} />
        </p>
        <div className="flex flex-wrap items-center gap-1">
          {done && (
            <a
              href={downloadUrl(task.result?.url)}
              download
              className="inline-flex h-8 items-center gap-1 rounded-lg px-2 text-xs text-slate-300 transition hover:bg-white/10 hover:text-white"
              data-testid="task-download"
            >
              <Icon name="download" className="h-4 w-4" />
              {t('task.download')}
            </a>
          )}
          {done && task.type === 'image' && onUseAsStart && (
            <button
              type="button"
              onClick={() => onUseAsStart(task)}
              className="inline-flex h-8 items-center gap-1 rounded-lg px-2 text-xs text-slate-300 transition hover:bg-white/10 hover:text-neon-cyan"
              data-testid="task-use-as-start"
            >
              <Icon name="video" className="h-4 w-4" />
              {t('task.useAsStart')}
            </button>
          )}
          {active && <CancelButton task={task} />}
          <TaskActions task={task} />
          {onDelete && !active && (
            <button
              type="button"
              onClick={() => onDelete(task)}
              className="ml-auto inline-flex h-8 items-center gap-1 rounded-lg px-2 text-xs text-slate-400 transition hover:bg-rose-500/15 hover:text-rose-200"
              data-testid="task-delete"
              aria-label={`${t('task.delete')}: ${task.prompt}`}
            >
              <Icon name="trash" className="h-4 w-4" />
            </button>
          )}
        </div>
      </div>
    </article>
  );
}

/** Stops a running task; its label says beforehand whether the charge comes back (`refund_on_cancel`). */
function CancelButton({ task }: { task: Task }) {
  const { t } = useI18n();
  const toast = useToast();
  const cancel = useCancelTask();
  const label = task.refund_on_cancel === false ? t('task.cancelKept') : t('task.cancelRefunded');
  return (
    <button
      type="button"
      disabled={cancel.isPending}
      onClick={() =>
        cancel.mutate(task.id, {
          onSuccess: (done) => toast.show(done.error?.message ?? t('task.cancel'), 'success'),
          onError: (e) => toast.show(errorMessage(e), 'error'),
        })
      }
      className="ml-auto inline-flex h-8 items-center gap-1 rounded-lg px-2 text-xs text-slate-300 transition hover:bg-rose-500/15 hover:text-rose-200 disabled:opacity-50"
      data-testid="task-cancel"
      title={label}
    >
      <Icon name="close" className="h-4 w-4" />
      {label}
    </button>
  );
}
