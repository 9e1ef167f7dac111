import type { ChatSummary } from '../../api/types';
import { Icon } from '../../components/layout/icons';
import { ErrorState, LoadingState } from '../../components/ui/States';
import { cx } from '../../components/ui/cx';
import { useI18n } from '../../i18n';

interface Props {
  items: ChatSummary[] | undefined;
  loading: boolean;
  error: unknown;
  activeId: string | null;
  onOpen: (id: string) => void;
  onNew: () => void;
  onDelete: (chat: ChatSummary) => void;
}

/** The conversation list: open one, start a new one, delete one (the page confirms and offers undo). */
export function ConversationList({ items, loading, error, activeId, onOpen, onNew, onDelete }: Props) {
  const { t, formatDate } = useI18n();
  return (
    <div className="flex h-full min-h-0 flex-col">
      <div className="flex items-center justify-between gap-2 px-2 pb-2">
        <h2 className="label mb-0">{t('chat.conversations')}</h2>
        <button
          type="button"
          onClick={onNew}
          className="inline-flex h-8 shrink-0 items-center gap-1 whitespace-nowrap rounded-lg border border-neon-cyan/40 bg-neon-cyan/10 px-2.5 text-xs font-medium text-neon-cyan transition hover:bg-neon-cyan/20"
          data-testid="chat-new"
        >
          <Icon name="plus" className="h-4 w-4" />
          {t('chat.new')}
        </button>
      </div>
      <div className="min-h-0 flex-1 overflow-y-auto">
        {loading ? (
          <LoadingState />
        ) : error ? (
          <ErrorState error={error} compact />
        ) : !items?.length ? (
          <p className="px-2 py-4 text-sm text-slate-400">{t('chat.noConversations')}</p>
        ) : (
          <ul className="flex flex-col gap-1" data-testid="chat-list">
            {items.map((c) => {
              const current = c.id === activeId;
              return (
                <li key={c.id} className="group relative" data-testid="chat-list-item" data-id={c.id}>
                  <button
                    type="button"
                    onClick={() => onOpen(c.id)}
                    aria-current={current || undefined}
                    className={cx(
                      'w-full rounded-xl py-2 pl-3 pr-10 text-left text-sm transition',
                      current ? 'bg-white/10 text-white ring-1 ring-neon-cyan/30' : 'text-slate-300 hover:bg-white/5 hover:text-white',
                    )}
                  >
                    <span className="block truncate">{c.title || '…'}</span>
                    <span className="block text-[11px] text-slate-400">{formatDate(c.updated_at)}</span>
                  </button>
                  <button
                    type="button"
                    onClick={() => onDelete(c)}
                    aria-label={`${t('chat.delete')}: ${c.title || '…'}`}
                    title={t('chat.delete')}
                    className="absolute right-1.5 top-1/2 grid h-8 w-8 -translate-y-1/2 place-items-center rounded-lg text-slate-400 opacity-100 transition hover:bg-rose-500/15 hover:text-rose-200 focus:opacity-100 md:opacity-0 md:group-hover:opacity-100"
                    data-testid="chat-delete"
                  >
                    <Icon name="trash" className="h-4 w-4" />
                  </button>
                </li>
              );
            })}
          </ul>
        )}
      </div>
    </div>
  );
}
