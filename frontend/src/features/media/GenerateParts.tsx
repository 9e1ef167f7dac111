import { useMemo } from 'react';
import { Link } from 'react-router-dom';
import type { Task, TaskType } from '../../api/types';
import { Textarea } from '../../components/ui/Input';
import { EmptyState, ErrorState, LoadingState } from '../../components/ui/States';
import { useTaskFeed } from '../../hooks/useTasks';
import { useI18n } from '../../i18n';
import { TaskGrid } from '../gallery/TaskGrid';

export const MAX_PROMPT = 2000;

export function validatePrompt(prompt: string): 'gen.err.prompt' | 'gen.err.promptLong' | null {
  const p = prompt.trim();
  if (p.length < 3) return 'gen.err.prompt';
  if (p.length > MAX_PROMPT) return 'gen.err.promptLong';
  return null;
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
        maxLength={MAX_PROMPT + 200}
        data-testid="prompt-input"
        onKeyDown={(e) => {
          // Ctrl/Cmd+Enter submits, like most prompt boxes.
          if (e.key === 'Enter' && (e.metaKey || e.ctrlKey) && onSubmitShortcut) {
            e.preventDefault();
            onSubmitShortcut();
          }
        }}
      />
      <span className="pointer-events-none absolute right-3 top-0 font-mono text-[11px] text-slate-500">
        {t('gen.chars', { n: value.length, max: MAX_PROMPT })}
      </span>
    </div>
  );
}

/** The latest tasks of one type, live-updating; `pinned` shows a just-submitted task before the list refetches. */
export function RecentTasks({ type, pinned }: { type: TaskType; pinned: Task | null }) {
  const { t } = useI18n();
  const feed = useTaskFeed({ type }, 6);
  const tasks = useMemo(() => {
    const list = feed.tasks.slice(0, 6);
    if (pinned && !list.some((x) => x.id === pinned.id)) return [pinned, ...list].slice(0, 6);
    return list;
  }, [feed.tasks, pinned]);

  return (
    <section aria-labelledby={`recent-${type}`} data-testid="recent-tasks">
      <div className="mb-3 flex items-center justify-between">
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
