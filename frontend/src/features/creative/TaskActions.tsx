// Actions on a finished card: reuse settings, remix / extend (videos), share (public link dialog).
import { useState } from 'react';
import { useNavigate } from 'react-router-dom';
import type { Task } from '../../api/types';
import { Button } from '../../components/ui/Button';
import { Modal } from '../../components/ui/Modal';
import { ErrorState } from '../../components/ui/States';
import { useToast } from '../../components/ui/Toast';
import { useFeatureText } from '../featureText';
import { useShareTask, useUnshareTask } from './api';

const ACTION = 'inline-flex h-8 items-center gap-1 rounded-lg px-2 text-xs text-slate-300 transition hover:bg-white/10 hover:text-neon-cyan';

export function VariationChip({ task }: { task: Task }) {
  const f = useFeatureText();
  const n = Number(task.params?.variations ?? 0);
  const i = Number(task.params?.variation ?? 0);
  if (!n || !i) return null;
  return (
    <span className="chip border-neon-magenta/40 text-[10px] text-neon-magenta" data-testid="variation-chip"
      data-group={String(task.params?.group_id ?? '')} title={f('group', { n })}>
      {i}/{n}
    </span>
  );
}

export function TaskActions({ task }: { task: Task }) {
  const f = useFeatureText();
  const navigate = useNavigate();
  const [sharing, setSharing] = useState(false);
  if (task.status !== 'COMPLETED' || !task.result) return null;
  return (
    <>
      <button type="button" className={ACTION} data-testid="task-reuse" onClick={() => navigate(`/${task.type}?reuse=${encodeURIComponent(task.id)}`)}>
        ↺ {f('reuse')}
      </button>
      {task.type === 'video' && (
        <>
          <button type="button" className={ACTION} data-testid="task-remix" onClick={() => navigate(`/video?remix_of=${encodeURIComponent(task.id)}`)}>
            ◐ {f('remix')}
          </button>
          <button type="button" className={ACTION} data-testid="task-extend" onClick={() => navigate(`/video?extend_of=${encodeURIComponent(task.id)}`)}>
            ⇥ {f('extend')}
          </button>
        </>
      )}
      <button type="button" className={ACTION} data-testid="task-share" data-shared={task.shared ? 'true' : 'false'} onClick={() => setSharing(true)}>
        ⤴ {f('share')}
      </button>
      {sharing && <ShareDialog task={task} onClose={() => setSharing(false)} />}
    </>
  );
}

export function ShareDialog({ task, onClose }: { task: Task; onClose: () => void }) {
  const f = useFeatureText();
  const toast = useToast();
  const [url, setUrl] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const share = useShareTask(task);
  const revoke = useUnshareTask(task);
  return (
    <Modal open onClose={onClose} title={f('shareTitle')} closeLabel={f('close')} testId="share-dialog">
      <p className="mb-3 text-sm text-slate-400">{f('shareHint')}</p>
      {url ? (
        <div className="flex flex-col gap-3">
          <div className="flex items-center gap-2">
            <input readOnly value={url} className="field flex-1 font-mono text-xs" data-testid="share-url" onFocus={(e) => e.target.select()} />
            <Button size="sm" onClick={() => void navigator.clipboard?.writeText(url).then(() => setCopied(true))}>
              {copied ? f('copied') : f('copy')}
            </Button>
          </div>
          <Button variant="danger" loading={revoke.isPending} onClick={() =>
              revoke.mutate(undefined, {
                onSuccess: () => {
                  setUrl(null);
                  toast.show(f('shareRevoked'), 'success');
                },
              })
            } data-testid="share-revoke">
            {f('revokeLink')}
          </Button>
        </div>
      ) : (
        <Button variant="primary" loading={share.isPending} onClick={() => share.mutate(undefined, { onSuccess: (r) => setUrl(new URL(r.url, window.location.origin).toString()) })} data-testid="share-create">
          {f('createLink')}
        </Button>
      )}
      {(share.isError || revoke.isError) && <ErrorState error={share.error ?? revoke.error} compact />}
    </Modal>
  );
}
