import { Link, useSearchParams } from 'react-router-dom';
import type { TaskStatus, TaskType } from '../../api/types';
import { Button } from '../../components/ui/Button';
import { Select } from '../../components/ui/Select';
import { EmptyState, ErrorState, LoadingState, PageHeader } from '../../components/ui/States';
import { Spinner } from '../../components/ui/Spinner';
import { useInfiniteScroll } from '../../hooks/useInfiniteScroll';
import { useTaskFeed } from '../../hooks/useTasks';
import { useI18n, type MessageKey } from '../../i18n';
import { TaskGrid } from './TaskGrid';

const TYPES: TaskType[] = ['video', 'image'];
const STATUSES: TaskStatus[] = ['PENDING', 'GENERATING', 'COMPLETED', 'FAILED'];

function pick<T extends string>(value: string | null, allowed: readonly T[]): T | undefined {
  return allowed.find((a) => a === value);
}

export default function GalleryPage() {
  const { t } = useI18n();
  // Filters live in the URL so a refresh or a shared link keeps them.
  const [params, setParams] = useSearchParams();
  const type = pick(params.get('type'), TYPES);
  const status = pick(params.get('status'), STATUSES);
  const feed = useTaskFeed({ type, status });
  const sentinel = useInfiniteScroll<HTMLDivElement>(() => {
    if (feed.hasNextPage && !feed.isFetchingNextPage) void feed.fetchNextPage();
  }, Boolean(feed.hasNextPage));

  const setFilter = (key: 'type' | 'status', value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };

  return (
    <div>
      <PageHeader
        title={t('gallery.title')}
        subtitle={t('gallery.subtitle')}
        actions={
          <div className="flex gap-3">
            <Select
              label={t('gallery.filterType')}
              value={type ?? ''}
              onChange={(e) => setFilter('type', e.target.value)}
              data-testid="filter-type"
              options={[{ value: '', label: t('gallery.all') }, ...TYPES.map((v) => ({ value: v, label: t(v === 'video' ? 'task.video' : 'task.image') }))]}
            />
            <Select
              label={t('gallery.filterStatus')}
              value={status ?? ''}
              onChange={(e) => setFilter('status', e.target.value)}
              data-testid="filter-status"
              options={[{ value: '', label: t('gallery.all') }, ...STATUSES.map((v) => ({ value: v, label: t(`task.status.${v}` as MessageKey) }))]}
            />
          </div>
        }
      />
      {feed.isPending ? (
        <LoadingState />
      ) : feed.isError && !feed.data ? (
        <ErrorState error={feed.error} onRetry={() => void feed.refetch()} />
      ) : feed.tasks.length === 0 ? (
        type || status ? (
          <EmptyState>
            <p>{t('gallery.emptyFiltered')}</p>
            <Button className="mt-4" onClick={() => setParams(new URLSearchParams(), { replace: true })} data-testid="clear-filters">
              {t('gallery.clearFilters')}
            </Button>
          </EmptyState>
        ) : (
          <EmptyState>
            <p>{t('gallery.empty')}</p>
            <Link to="/video" className="mt-4 inline-block text-neon-cyan underline-offset-4 hover:underline">
              {t('gallery.emptyCta')} →
            </Link>
          </EmptyState>
        )
      ) : (
        <>
          <TaskGrid tasks={feed.tasks} />
          <div ref={sentinel} className="flex justify-center py-8" data-testid="gallery-sentinel">
            {feed.isFetchingNextPage ? (
              <Spinner label={t('gallery.loadingMore')} />
            ) : feed.hasNextPage ? (
              <Button onClick={() => void feed.fetchNextPage()} data-testid="load-more">
                {t('gallery.loadMore')}
              </Button>
            ) : (
              <span className="text-xs text-slate-400">{t('gallery.end')}</span>
            )}
          </div>
        </>
      )}
    </div>
  );
}
