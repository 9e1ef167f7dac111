import { Button } from '../../components/ui/Button';
import { useAdminText } from './text';

/** Cursor paging for the admin lists (API.md `next_cursor`): back to the first page, or load the next. */
export function Pager({ next, onNext, onFirst }: { next: string | null; onNext: (c: string) => void; onFirst?: () => void }) {
  const a = useAdminText();
  if (!next && !onFirst) return null;
  return (
    <div className="mt-3 flex gap-2">
      {onFirst && (
        <Button size="sm" variant="subtle" onClick={onFirst}>
          ↑
        </Button>
      )}
      {next && (
        <Button size="sm" onClick={() => onNext(next)}>
          {a('loadMore')}
        </Button>
      )}
    </div>
  );
}
