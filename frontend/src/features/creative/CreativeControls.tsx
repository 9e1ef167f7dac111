// Creative controls shared by the image and video forms: variations, seed, negative prompt, prompt enhancer.
import { useState } from 'react';
import { Button } from '../../components/ui/Button';
import { Input } from '../../components/ui/Input';
import { Segmented } from '../../components/ui/Select';
import { ErrorState } from '../../components/ui/States';
import { useToast } from '../../components/ui/Toast';
import { useFeatureText } from '../featureText';
import { useEnhancePrompt } from './api';

export interface CreativeValues {
  count: 1 | 2 | 3 | 4;
  seed: string; // as typed; sent when it is a whole number
  negative: string;
}

export const NO_CREATIVE: CreativeValues = { count: 1, seed: '', negative: '' };

/** The request fields for these values (only what the user set). */
export function creativeFields(v: CreativeValues): { count?: number; seed?: number; negative_prompt?: string } {
  const seed = /^\d{1,10}$/.test(v.seed.trim()) ? Number(v.seed.trim()) : undefined;
  return {
    ...(v.count > 1 ? { count: v.count } : {}),
    ...(seed !== undefined && seed <= 4294967295 ? { seed } : {}),
    ...(v.negative.trim() ? { negative_prompt: v.negative.trim() } : {}),
  };
}

export function CreativeControls({ value, onChange }: { value: CreativeValues; onChange: (v: CreativeValues) => void }) {
  const f = useFeatureText();
  return (
    <div className="flex flex-col gap-3" data-testid="creative-controls">
      <Segmented<1 | 2 | 3 | 4>
        label={f('variations')}
        value={value.count}
        onChange={(count) => onChange({ ...value, count })}
        testId="count-select"
        options={[1, 2, 3, 4].map((n) => ({ value: n as 1 | 2 | 3 | 4, label: String(n) }))}
      />
      <div className="grid gap-3 sm:grid-cols-[8rem_1fr]">
        <Input label={f('seed')} inputMode="numeric" value={value.seed} maxLength={10} data-testid="seed-input"
          onChange={(e) => onChange({ ...value, seed: e.target.value.replace(/\D/g, '') })} />
        <Input label={f('negativePrompt')} value={value.negative} maxLength={1000} data-testid="negative-input"
          onChange={(e) => onChange({ ...value, negative: e.target.value })} />
      </div>
    </div>
  );
}

/** "Enhance prompt": one click rewrites the prompt with the chat model; "Undo" puts the old one back. */
export function EnhanceButton({ prompt, kind, onChange }: { prompt: string; kind: 'image' | 'video'; onChange: (p: string) => void }) {
  const f = useFeatureText();
  const toast = useToast();
  const [previous, setPrevious] = useState<string | null>(null);
  const enhance = useEnhancePrompt();
  const onEnhance = () =>
    enhance.mutate(
      { prompt: prompt.trim(), kind },
      {
        onSuccess: (r) => {
          setPrevious(prompt);
          onChange(r.prompt);
          toast.show(f('enhanced'), 'success');
        },
      },
    );
  return (
    <div className="flex flex-col gap-1">
      <div className="flex items-center gap-2">
        <Button size="sm" onClick={onEnhance} loading={enhance.isPending} disabled={prompt.trim().length < 1}
          data-testid="enhance-prompt">
          ✨ {f('enhance')}
        </Button>
        {previous !== null && (
          <Button size="sm" variant="subtle" data-testid="undo-enhance"
            onClick={() => {
              onChange(previous);
              setPrevious(null);
            }}>
            {f('undoEnhance')}
          </Button>
        )}
      </div>
      {enhance.isError && <ErrorState error={enhance.error} compact />}
    </div>
  );
}
