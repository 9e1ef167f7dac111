import { useEffect, useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router-dom';
import { isProxyUrl } from '../../api/apiService';
import { VIDEO_ASPECT_RATIOS, VIDEO_DURATIONS, type Task, type VideoAspectRatio, type VideoDuration } from '../../api/types';
import { Button } from '../../components/ui/Button';
import { GlassPanel } from '../../components/ui/GlassPanel';
import { Segmented } from '../../components/ui/Select';
import { ErrorState, PageHeader } from '../../components/ui/States';
import { useToast } from '../../components/ui/Toast';
import { cx } from '../../components/ui/cx';
import { useDraft } from '../../hooks/useDraft';
import { useTaskCreated, useTaskFeed } from '../../hooks/useTasks';
import { useI18n } from '../../i18n';
import { GenerateButton, MAX_PROMPT, PromptField, RecentTasks, validatePrompt } from '../media/GenerateParts';
import { ImageUpload } from '../media/ImageUpload';
import { MediaImage } from '../../components/media/MediaImage';
import { CreativeControls, EnhanceButton, NO_CREATIVE, creativeFields, type CreativeValues } from '../creative/CreativeControls';
import { createdTasks, useCreateVideo } from '../creative/api';
import { useReuse, useVideoSource } from '../creative/useSource';
import { useFeatureText } from '../featureText';

type Mode = 'text' | 'image';

const isFrame = (v: unknown): v is string | null => v === null || (typeof v === 'string' && isProxyUrl(v));

export default function VideoPage() {
  const { t } = useI18n();
  const toast = useToast();
  const [params, setParams] = useSearchParams();
  const preselected = params.get('image_url');
  // The form is a draft kept across reloads (prompt, mode, params, start frame).
  const [prompt, setPrompt] = useDraft('video.prompt', '');
  const [storedFrame, setImageUrl] = useDraft<string | null>('video.frame', null, isFrame);
  const imageUrl = preselected && isProxyUrl(preselected) && !storedFrame ? preselected : storedFrame;
  const [mode, setMode] = useDraft<Mode>('video.mode', imageUrl ? 'image' : 'text', (v): v is Mode => v === 'text' || v === 'image');
  const [duration, setDuration] = useDraft<VideoDuration>('video.duration', 4, (v): v is VideoDuration => VIDEO_DURATIONS.includes(v as VideoDuration));
  const [aspect, setAspect] = useDraft<VideoAspectRatio>('video.aspect', '16:9', (v): v is VideoAspectRatio =>
    VIDEO_ASPECT_RATIOS.includes(v as VideoAspectRatio),
  );
  const [errors, setErrors] = useState<{ prompt?: string; frame?: string }>({});
  const f = useFeatureText();
  const [creative, setCreative] = useState<CreativeValues>(NO_CREATIVE);
  const [lastFrame, setLastFrame] = useState<string | null>(null);
  // A remix starts from the source's prompt (to change); an extension from an empty one (what happens next).
  const source = useVideoSource((task) => setPrompt(task.prompt));
  const [submitted, setSubmitted] = useState<Task | null>(null);
  const taskCreated = useTaskCreated();

  const create = useCreateVideo({
    onSuccess: (created) => {
      const tasks = createdTasks(created);
      setSubmitted(tasks[0]);
      tasks.forEach(taskCreated);
      toast.show(t('gen.queued'), 'success');
      if (source.mode) source.clear();
    },
  });

  // "Reuse settings" on a card: its prompt and settings (and start frame) back into this form.
  useReuse((task) => {
    setPrompt(task.prompt);
    const d = Number(task.params?.duration_s);
    if (VIDEO_DURATIONS.includes(d as VideoDuration)) setDuration(d as VideoDuration);
    const a = String(task.params?.aspect_ratio ?? '');
    if (VIDEO_ASPECT_RATIOS.includes(a as VideoAspectRatio)) setAspect(a as VideoAspectRatio);
    const frame = typeof task.params?.image_url === 'string' && isProxyUrl(task.params.image_url) ? task.params.image_url : null;
    setImageUrl(frame);
    setMode(frame ? 'image' : 'text');
    setCreative({ count: 1, seed: task.params?.seed != null ? String(task.params.seed) : '', negative: String(task.params?.negative_prompt ?? '') });
  });

  // A start frame handed over in the URL (Gallery → "use as start frame") becomes the draft's.
  useEffect(() => {
    if (preselected && isProxyUrl(preselected)) {
      setImageUrl(preselected);
      setMode('image');
    }
  }, [preselected, setImageUrl, setMode]);

  const chooseFrame = (url: string | null) => {
    setImageUrl(url);
    setErrors((e) => ({ ...e, frame: undefined }));
    if (params.has('image_url')) {
      const next = new URLSearchParams(params);
      next.delete('image_url');
      setParams(next, { replace: true });
    }
  };

  const submit = () => {
    const promptError = validatePrompt(prompt);
    const found = {
      prompt: promptError ? t(promptError, { max: MAX_PROMPT }) : undefined,
      frame: !source.mode && mode === 'image' && !imageUrl ? t('video.err.startFrame') : undefined,
    };
    setErrors(found);
    if (found.prompt || found.frame) return;
    create.mutate({
      prompt: prompt.trim(),
      duration_s: duration,
      aspect_ratio: aspect,
      ...(!source.mode && mode === 'image' && imageUrl ? { image_url: imageUrl } : {}),
      ...(!source.mode && mode === 'image' && imageUrl && lastFrame ? { last_frame_url: lastFrame } : {}),
      ...(source.mode === 'remix' && source.task ? { remix_of: source.task.id } : {}),
      ...(source.mode === 'extend' && source.task ? { extend_of: source.task.id } : {}),
      ...creativeFields(creative),
    });
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    submit();
  };

  return (
    <div>
      <PageHeader title={t('video.title')} subtitle={t('video.subtitle')} />
      <div className="grid gap-6 lg:grid-cols-[minmax(0,5fr)_minmax(0,6fr)]">
        <GlassPanel as="form" noValidate onSubmit={onSubmit} data-testid="video-form" className="flex flex-col gap-5 self-start">
          {source.mode && (
            <div className="flex items-center gap-3 rounded-xl border border-neon-magenta/40 bg-neon-magenta/10 p-3 text-sm" data-testid="video-source" data-mode={source.mode}>
              {source.task?.result?.thumbnail_url && (
                <MediaImage src={source.task.result.thumbnail_url} alt="" className="h-12 w-20 rounded-lg object-cover" />
              )}
              <span className="flex-1">{source.mode === 'remix' ? f('remixOf') : f('extendOf')}</span>
              <Button size="sm" variant="subtle" onClick={source.clear}>{f('cancelSource')}</Button>
            </div>
          )}
          {!source.mode && <Segmented<Mode>
            label={t('video.mode')}
            value={mode}
            onChange={setMode}
            testId="video-mode"
            options={[
              { value: 'text', label: t('video.modeText') },
              { value: 'image', label: t('video.modeImage') },
            ]}
          />}
          <PromptField
            value={prompt}
            onChange={setPrompt}
            error={errors.prompt}
            placeholder={t('gen.promptPlaceholderVideo')}
            onSubmitShortcut={submit}
          />
          <EnhanceButton prompt={prompt} kind="video" onChange={setPrompt} />
          {!source.mode && mode === 'image' && <StartFramePicker value={imageUrl} onChange={chooseFrame} error={errors.frame} />}
          {!source.mode && mode === 'image' && imageUrl && (
            <fieldset className="flex flex-col gap-2" data-testid="last-frame">
              <legend className="label">{f('lastFrame')}</legend>
              <ImageUpload variant="zone" onUploaded={(r) => setLastFrame(r.url)}>
                {lastFrame && (
                  <div className="relative h-20 w-20 overflow-hidden rounded-xl border border-neon-magenta/50">
                    <MediaImage src={lastFrame} alt={f('lastFrame')} className="h-full w-full object-cover" />
                  </div>
                )}
                {lastFrame && (
                  <Button size="sm" variant="subtle" onClick={() => setLastFrame(null)}>{t('video.clearFrame')}</Button>
                )}
              </ImageUpload>
            </fieldset>
          )}
          <div className="flex flex-wrap gap-6">
            <Segmented<VideoDuration>
              label={t('gen.duration')}
              value={duration}
              onChange={setDuration}
              testId="duration-select"
              options={VIDEO_DURATIONS.map((d) => ({ value: d, label: t('gen.seconds', { n: d }) }))}
            />
            <Segmented<VideoAspectRatio>
              label={t('gen.aspect')}
              value={aspect}
              onChange={setAspect}
              testId="aspect-select"
              options={VIDEO_ASPECT_RATIOS.map((a) => ({ value: a, label: a }))}
            />
          </div>
          <CreativeControls value={creative} onChange={setCreative} />
          {create.isError && (
            <div data-testid="form-error">
              <ErrorState error={create.error} compact />
            </div>
          )}
          <GenerateButton kind="video" loading={create.isPending} />
        </GlassPanel>
        <RecentTasks type="video" pinned={submitted} />
      </div>
    </div>
  );
}

function StartFramePicker({ value, onChange, error }: { value: string | null; onChange: (url: string | null) => void; error?: string }) {
  const { t } = useI18n();
  const images = useTaskFeed({ type: 'image', status: 'COMPLETED' }, 12);
  return (
    <fieldset className="flex flex-col gap-3" data-testid="start-frame">
      <legend className="label">{t('video.startFrame')}</legend>
      <ImageUpload variant="zone" onUploaded={(r) => onChange(r.url)}>
        {value && (
          <div className="relative h-20 w-20 overflow-hidden rounded-xl border border-neon-cyan/50 shadow-glow">
            <MediaImage src={value} alt={t('video.startFrame')} className="h-full w-full object-cover" data-testid="start-frame-preview" />
          </div>
        )}
        {value && (
          <Button size="sm" variant="subtle" onClick={() => onChange(null)} data-testid="start-frame-clear">
            {t('video.clearFrame')}
          </Button>
        )}
      </ImageUpload>
      {error && (
        <p role="alert" className="text-xs text-rose-300">
          {error}
        </p>
      )}
      <div>
        <p className="mb-2 text-xs text-slate-400">{t('video.pickFromImages')}</p>
        {images.tasks.length === 0 ? (
          <p className="text-xs text-slate-400">{images.isPending ? t('common.loading') : t('video.noImages')}</p>
        ) : (
          <div role="radiogroup" aria-label={t('video.pickFromImages')} className="flex gap-2 overflow-x-auto pb-1">
            {images.tasks.map((task) => {
              const url = task.result?.url ?? null;
              const selected = url !== null && url === value;
              return (
                <button
                  key={task.id}
                  type="button"
                  role="radio"
                  aria-checked={selected}
                  aria-label={task.prompt}
                  onClick={() => onChange(url)}
                  data-testid="start-frame-option"
                  className={cx(
                    'h-16 w-16 shrink-0 overflow-hidden rounded-lg border transition active:scale-95',
                    selected ? 'border-neon-cyan shadow-glow' : 'border-white/10 opacity-70 hover:opacity-100',
                  )}
                >
                  <MediaImage src={task.result?.thumbnail_url ?? url} alt="" loading="lazy" className="h-full w-full object-cover" />
                </button>
              );
            })}
          </div>
        )}
      </div>
    </fieldset>
  );
}
