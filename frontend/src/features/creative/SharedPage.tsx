// The public page of a shared result (/s/<token>): no sign-in; the media stream through share-bound proxy links.
import { Link, useParams } from 'react-router-dom';
import { mediaUrl } from '../../api/apiService';
import { GlassPanel } from '../../components/ui/GlassPanel';
import { LoadingState } from '../../components/ui/States';
import { useI18n } from '../../i18n';
import { useFeatureText } from '../featureText';
import { usePublicShare } from './api';

export default function SharedPage() {
  const { token = '' } = useParams();
  const f = useFeatureText();
  const { formatDate } = useI18n();
  const share = usePublicShare(token);
  return (
    <main className="mx-auto flex min-h-screen max-w-4xl flex-col gap-4 px-4 py-10">
      <header className="flex items-center justify-between">
        <span className="text-lg font-semibold"><span className="neon-text">Sora</span> Studio</span>
        <Link to="/register" className="chip text-neon-cyan hover:text-white">{f('makeYourOwn')}</Link>
      </header>
      {share.isPending ? (
        <LoadingState />
      ) : share.isError ? (
        <GlassPanel data-testid="share-missing"><p className="text-slate-300">{f('notShared')}</p></GlassPanel>
      ) : (
        <GlassPanel className="flex flex-col gap-4 p-4" data-testid="shared-page">
          {share.data.type === 'video' ? (
            <video
              src={mediaUrl(share.data.result.url)}
              poster={mediaUrl(share.data.result.thumbnail_url)}
              controls
              playsInline
              preload="metadata"
              className="w-full rounded-xl bg-black"
              data-testid="shared-video"
            />
          ) : (
            <img src={mediaUrl(share.data.result.url)} alt={share.data.prompt} className="w-full rounded-xl" data-testid="shared-image" />
          )}
          <p className="text-slate-200" data-testid="shared-prompt">{share.data.prompt}</p>
          <p className="text-xs text-slate-400">{f('sharedBy')} · {formatDate(share.data.created_at)}</p>
        </GlassPanel>
      )}
    </main>
  );
}
