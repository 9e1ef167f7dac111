import { useState, type FormEvent } from 'react';
import { isProxyUrl } from '../../api/apiService';
import { IMAGE_ASPECT_RATIOS, type ImageAspectRatio, type Task, type UploadResult } from '../../api/types';
import { GlassPanel } from '../../components/ui/GlassPanel';
import { Segmented } from '../../components/ui/Select';
import { ErrorState, PageHeader } from '../../components/ui/States';
import { useToast } from '../../components/ui/Toast';
import { useDraft } from '../../hooks/useDraft';
import { useTaskCreated } from '../../hooks/useTasks';
import { useI18n } from '../../i18n';
import { GenerateButton, MAX_PROMPT, PromptField, RecentTasks, validatePrompt } from '../media/GenerateParts';
import { ImageUpload } from '../media/ImageUpload';
import { MediaImage } from '../../components/media/MediaImage';
import { CreativeControls, EnhanceButton, NO_CREATIVE, creativeFields, type CreativeValues } from '../creative/CreativeControls';
import { createdTasks, useCreateImage } from '../creative/api';
import { useReuse } from '../creative/useSource';

export const MAX_REFERENCES = 3;

export default function ImagePage() {
  const { t } = useI18n();
  const toast = useToast();
  // The form is a draft kept across reloads.
  const [prompt, setPrompt] = useDraft('image.prompt', '');
  const [aspect, setAspect] = useDraft<ImageAspectRatio>('image.aspect', '1:1', (v): v is ImageAspectRatio =>
    IMAGE_ASPECT_RATIOS.includes(v as ImageAspectRatio),
  );
  const [refs, setRefs] = useDraft<UploadResult[]>('image.refs', [], (v): v is UploadResult[] =>
    Array.isArray(v) && v.every((r) => r && typeof r === 'object' && isProxyUrl(String((r as UploadResult).url))),
  );
  const [creative, setCreative] = useState<CreativeValues>(NO_CREATIVE);
  const [promptError, setPromptError] = useState<string | null>(null);
  const [submitted, setSubmitted] = useState<Task | null>(null);
  const taskCreated = useTaskCreated();

  const create = useCreateImage({
    onSuccess: (created) => {
      const tasks = createdTasks(created);
      setSubmitted(tasks[0]);
      tasks.forEach(taskCreated);
      toast.show(t('gen.queued'), 'success');
    },
  });

  // "Reuse settings" on a card: its prompt and settings back into this form.
  useReuse((task) => {
    setPrompt(task.prompt);
    const a = String(task.params?.aspect_ratio ?? '');
    if (IMAGE_ASPECT_RATIOS.includes(a as ImageAspectRatio)) setAspect(a as ImageAspectRatio);
    const urls = Array.isArray(task.params?.reference_urls) ? (task.params.reference_urls as string[]) : [];
    setRefs(urls.filter(isProxyUrl).map((url) => ({ url, mime_type: 'image/png', bytes: 0, width: 0, height: 0 })));
    setCreative({ count: 1, seed: task.params?.seed != null ? String(task.params.seed) : '', negative: String(task.params?.negative_prompt ?? '') });
  });

  const submit = () => {
    const problem = validatePrompt(prompt);
    setPromptError(problem ? t(problem, { max: MAX_PROMPT }) : null);
    if (problem) return;
    create.mutate({
      prompt: prompt.trim(),
      aspect_ratio: aspect,
      ...(refs.length ? { reference_urls: refs.map((r) => r.url) } : {}),
      ...creativeFields(creative),
    });
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    submit();
  };

  const referenceThumbs = refs.map((r, i) => (
    <div key={r.url} className="group relative h-20 w-20 overflow-hidden rounded-xl border border-white/15" data-testid="reference-thumb">
      <MediaImage src={r.url} alt={`${t('image.references')} ${i + 1}`} className="h-full w-full object-cover" />
      <button
        type="button"
        onClick={() => setRefs((xs) => xs.filter((x) => x.url !== r.url))}
        aria-label={`${t('upload.remove')} ${i + 1}`}
        className="absolute right-1 top-1 grid h-6 w-6 place-items-center rounded-full bg-ink-950/80 text-sm text-slate-200 opacity-90 transition hover:bg-rose-500/80 focus:opacity-100 sm:opacity-0 sm:group-hover:opacity-100"
      >
        ×
      </button>
    </div>
  ));

  return (
    <div>
      <PageHeader title={t('image.title')} subtitle={t('image.subtitle')} />
      <div className="grid gap-6 lg:grid-cols-[minmax(0,5fr)_minmax(0,6fr)]">
        <GlassPanel as="form" noValidate onSubmit={onSubmit} data-testid="image-form" className="flex flex-col gap-5 self-start">
          <PromptField
            value={prompt}
            onChange={setPrompt}
            error={promptError}
            placeholder={t('gen.promptPlaceholderImage')}
            onSubmitShortcut={submit}
          />
          <EnhanceButton prompt={prompt} kind="image" onChange={setPrompt} />
          <Segmented<ImageAspectRatio>
            label={t('gen.aspect')}
            value={aspect}
            onChange={setAspect}
            testId="aspect-select"
            options={IMAGE_ASPECT_RATIOS.map((a) => ({ value: a, label: a }))}
          />
          <fieldset className="flex flex-col gap-3" data-testid="references">
            <legend className="label">{t('image.references')}</legend>
            <p className="-mt-1 text-xs text-slate-400">{t('image.referencesHint', { max: MAX_REFERENCES })}</p>
            {refs.length < MAX_REFERENCES ? (
              <ImageUpload variant="zone" onUploaded={(r) => setRefs((xs) => (xs.length < MAX_REFERENCES ? [...xs, r] : xs))}>
              {referenceThumbs}
              </ImageUpload>
            ) : (
              <div className="flex flex-wrap items-center gap-3">
              {referenceThumbs}
              </div>
            )}
          </fieldset>
          <CreativeControls value={creative} onChange={setCreative} />
          {create.isError && (
            <div data-testid="form-error">
              <ErrorState error={create.error} compact />
            </div>
          )}
          <GenerateButton kind="image" loading={create.isPending} />
        </GlassPanel>
        <RecentTasks type="image" pinned={submitted} />
      </div>
    </div>
  );
}
