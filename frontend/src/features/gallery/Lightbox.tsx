import { downloadUrl, mediaUrl } from '../../api/apiService';
import type { Task } from '../../api/types';
import { Icon } from '../../components/layout/icons';
import { Modal } from '../../components/ui/Modal';
import { formatBytes } from '../../components/ui/format';
import { useI18n } from '../../i18n';

interface Props {
  task: Task | null;
  onClose: () => void;
  onUseAsStart?: (task: Task) => void;
}

export function Lightbox({ task, onClose, onUseAsStart }: Props) {
  const { t, lang } = useI18n();
  const result = task?.result;
  return (
    <Modal open={Boolean(task && result)} onClose={onClose} title={task?.prompt ?? t('lightbox.title')} closeLabel={t('lightbox.close')} testId="lightbox">
      {task && result && (
        <div className="flex flex-col">
          <div className="flex max-h-[75vh] items-center justify-center bg-black">
            {task.type === 'video' ? (
              // preload=metadata + the proxy's Range support: the player seeks without downloading the whole file.
              <video
                key={task.id}
                src={mediaUrl(result.url)}
                poster={mediaUrl(result.thumbnail_url)}
                controls
                playsInline
                preload="metadata"
                className="max-h-[75vh] w-full"
                data-testid="lightbox-video"
              />
            ) : (
              <img
                src={mediaUrl(result.url)}
                alt={task.prompt}
                className="max-h-[75vh] w-auto max-w-full object-contain"
                data-testid="lightbox-image"
              />
            )}
          </div>
          <div className="flex flex-wrap items-center gap-2 p-4">
            <p className="mr-auto text-xs text-slate-400">
              {result.width && result.height ? `${result.width}×${result.height}` : ''}
              {result.duration_s ? ` · ${result.duration_s}s` : ''}
              {result.bytes ? ` · ${formatBytes(result.bytes, lang)}` : ''}
            </p>
            {task.type === 'image' && onUseAsStart && (
              <button
                type="button"
                onClick={() => onUseAsStart(task)}
                className="inline-flex h-9 items-center gap-1.5 rounded-xl border border-white/15 bg-white/5 px-3 text-sm text-slate-200 transition hover:border-neon-cyan/60 active:scale-95"
                data-testid="lightbox-use-as-start"
              >
                <Icon name="video" className="h-4 w-4" />
                {t('task.useAsStart')}
              </button>
            )}
            <a
              href={downloadUrl(result.url)}
              download
              className="inline-flex h-9 items-center gap-1.5 rounded-xl bg-gradient-to-r from-neon-cyan to-neon-magenta px-4 text-sm font-semibold text-ink-950 shadow-glow transition hover:brightness-110 active:scale-95"
              data-testid="lightbox-download"
            >
              <Icon name="download" className="h-4 w-4" />
              {t('task.download')}
            </a>
          </div>
        </div>
      )}
    </Modal>
  );
}
