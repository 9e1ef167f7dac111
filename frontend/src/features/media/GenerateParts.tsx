import { useMemo } from 'react';
import { Link } from 'react-router-dom';
import { textLength, textLimits } from '../../api/schemas';
import { zCreateImageRequest } from '../../api/zod.gen';
import type { Task, TaskType } from '../../api/types';
import { Button } from '../../components/ui/Button';
import { Textarea } from '../../components/ui/Input';
import { EmptyState, ErrorState, LoadingState } from '../../components/ui/States';
import { useMe } from '../../hooks/useSession';
import { useTaskFeed } from '../../hooks/useTasks';
import { mediaUrl } from '../../api/apiService';
import { ProgressBar } from '../../components/ui/ProgressBar';
import { useSmoothProgress } from '../../hooks/useSmoothProgress';
import { useI18n, type MessageKey } from '../../i18n';
import { formatEta } from '../../components/ui/format';
import { aspectStyle, MediaImage } from '../../components/media/MediaImage';
import { TaskGrid } from '../gallery/TaskGrid';

// The API's prompt limit (CreateImageRequest.prompt; CreateVideoRequest.prompt is the same), from
// the generated schema, counted the API's way (code points). The forms validate with
// textField(zCreate…Request.shape.prompt) and show promptMessage(errors.prompt).
export const MAX_PROMPT = textLimits(zCreateImageRequest.shape.prompt).max ?? Infinity;

/** The message for a prompt issue (`too_big` = too long, anything else = missing), or null. */
export function promptMessage(issue: { type?: unknown } | undefined): 'gen.err.prompt' | 'gen.err.promptLong' | null {
  if (!issue) return null;
  return issue.type === 'too_big' ? 'gen.err.promptLong' : 'gen.err.prompt';
}

export function PromptField({
  value,
  onChange,
  error,
  placeholder,
  onSubmitShortcut,
}: {
  value: string;
  onChange: (v: string) => void;
  error?: string | null;
  placeholder: string;
  onSubmitShortcut?: () => void;
}) {
  const { t } = useI18n();
  return (
    <div className="relative">
      <Textarea
        label={t('gen.prompt')}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        placeholder={placeholder}
        error={error}
        rows={5}
        maxLength={MAX_PROMPT * 2 /* the attribute counts UTF-16 units; the form counts code points */}
        data-testid="prompt-input"
        onKeyDown={(e) => {
          // Ctrl/Cmd+Enter submits, like most prompt boxes.
          if (e.key === 'Enter' && (e.metaKey || e.ctrlKey) && onSubmitShortcut) {
            e.preventDefault();
            onSubmitShortcut();
          }
        }}
      />
      <span className="pointer-events-none absolute right-3 top-0 font-mono text-[11px] text-slate-400">
        {t('gen.chars', { n: textLength(value), max: MAX_PROMPT })}
      </span>
    </div>
  );
}

/** The latest tasks of one type, live-updating: the newest large (the canvas), the rest as a strip. `pinned` shows a just-submitted task before the list refetches. */
export function RecentTasks({ type, pinned }: { type: TaskType; pinned: Task | null }) {
  const { t } = useI18n();
  const feed = useTaskFeed({ type }, 7);
  const tasks = useMemo(() => {
    const list = feed.tasks.slice(0, 7);
    if (pinned && !list.some((x) => x.id === pinned.id)) return [pinned, ...list].slice(0, 7);
    return list;
  }, [feed.tasks, pinned]);
  const newest = tasks[0];

  return (
    <section aria-labelledby={`recent-${type}`} data-testid="recent-tasks" className="flex min-w-0 flex-col gap-4">
      {newest && <ResultCanvas task={newest} />}
      <div className="flex items-center justify-between">
        <h2 id={`recent-${type}`} className="label mb-0">
          {t('gen.recent')}
        </h2>
        <Link to={`/gallery?type=${type}`} className="text-xs text-neon-cyan underline-offset-4 hover:underline">
          {t('gen.viewAll')} →
        </Link>
      </div>
      {feed.isPending && !pinned ? (
        <LoadingState />
      ) : feed.isError && tasks.length === 0 ? (
        <ErrorState error={feed.error} onRetry={() => void feed.refetch()} />
      ) : tasks.length === 0 ? (
        <EmptyState>{t('gen.noRecent')}</EmptyState>
      ) : (
        <TaskGrid tasks={tasks} compact />
      )}
    </section>
  );
}

/** The newest result, large, beside the form: plays a finished video, shows the image, or the live progress. */
export function ResultCanvas({ task }: { task: Task }) {
  const { t } = useI18n();
  const smooth = useSmoothProgress(task);
  const done = task.status === 'COMPLETED' && task.result;
  const stage = task.stage ?? (task.status === 'PENDING' ? 'queued' : null);
  return (
    <figure
      className="glass-strong relative overflow-hidden p-0"
      data-testid="result-canvas"
      data-task-id={task.id}
      data-status={task.status}
      style={{ ...aspectStyle(task.params?.aspect_ratio), maxHeight: '70vh' }}
    >
      {done ? (
        task.type === 'video' ? (
          <video
            key={task.id}
            src={mediaUrl(task.result?.url)}
            poster={mediaUrl(task.result?.thumbnail_url)}
            controls
            muted
            loop
            playsInline
            className="h-full w-full bg-ink-950 object-contain"
            data-testid="canvas-video"
          />
        ) : (
          <MediaImage src={task.result?.url} alt={task.prompt} className="h-full w-full bg-ink-950 object-contain" data-testid="canvas-image" />
        )
      ) : (
        <div className="absolute inset-0 flex flex-col items-center justify-center gap-4 p-6 text-center">
          {task.status === 'FAILED' ? (
            <p className="max-w-sm text-sm text-rose-200">{task.error?.message || t('task.failedFallback')}</p>
          ) : (
            <>
              <span aria-hidden="true" className="absolute inset-0 overflow-hidden">
                <span className="absolute inset-y-0 -left-1/2 w-1/2 animate-sweep bg-gradient-to-r from-transparent via-neon-cyan/10 to-transparent" />
              </span>
              <p className="relative text-sm font-medium text-slate-100">{stage ? t(`task.stage.${stage}` as MessageKey) : t('task.status.GENERATING')}</p>
              <ProgressBar value={smooth.value} label={t('task.progress')} className="relative h-2 max-w-sm" />
              <p className="relative font-mono text-xs text-neon-cyan">
                {smooth.etaS !== null ? t('task.eta', { time: formatEta(smooth.etaS) }) : `${Math.round(smooth.value)}%`}
              </p>
            </>
          )}
        </div>
      )}
      <figcaption className="pointer-events-none absolute inset-x-0 bottom-0 hidden bg-gradient-to-t from-ink-950/90 to-transparent px-4 pb-3 pt-8 text-xs text-slate-200 sm:block">
        <span className="line-clamp-1">{task.prompt}</span>
      </figcaption>
    </figure>
  );
}

/**
 * What the next generation of `kind` costs, from the server's own pricing on
 * `/api/auth/me` (quota left today, then `quota.<kind>.cost` credits):
 * "free · 2 of 3 left today" or "10 credits". Null until the user is loaded.
 */
export function useCostLabel(kind: 'video' | 'image'): { label: string; affordable: boolean } | null {
  const { t } = useI18n();
  const me = useMe();
  const q = me.data?.quota?.[kind];
  if (!me.data || !q) return null;
  const left = Math.max(0, q.limit - q.used);
  if (left > 0) return { label: t('gen.costFree', { left, limit: q.limit }), affordable: true };
  return { label: t('gen.costCredits', { n: q.cost }), affordable: me.data.credits >= q.cost };
}

/** The Generate button with its price underneath ("free · 2 of 3 left today" / "10 credits"). */
export function GenerateButton({ kind, loading }: { kind: 'video' | 'image'; loading: boolean }) {
  const { t } = useI18n();
  const cost = useCostLabel(kind);
  return (
    <div className="flex flex-col gap-1.5">
      <Button type="submit" variant="primary" size="lg" loading={loading} data-testid="submit-button" aria-describedby={`cost-${kind}`}>
        {loading ? t('gen.submitting') : t('gen.submit')}
        {cost && !loading && <span className="ml-1 rounded-full bg-ink-950/25 px-2 py-0.5 text-xs font-medium">{cost.label}</span>}
      </Button>
      <p id={`cost-${kind}`} className="sr-only" data-testid="cost-label">
        {cost?.label}
      </p>
      {cost && !cost.affordable && (
        <p className="text-xs text-amber-200" data-testid="cost-warning">
          {t('gen.costShort')}{' '}
          <Link to="/pricing" className="text-neon-cyan underline underline-offset-4">
            {t('err.toPricing')}
          </Link>
        </p>
      )}
    </div>
  );
}
