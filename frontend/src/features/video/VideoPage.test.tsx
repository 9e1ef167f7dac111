import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { beforeEach, describe, expect, it } from 'vitest';
import { tokenStore } from '../../api/apiService';
import { type SentRequest, serveGenerationPage } from '../../test/msw';
import { renderWithProviders } from '../../test/render';
import VideoPage from './VideoPage';

const task = { id: 'v1', type: 'video', status: 'PENDING', prompt: 'rain', params: {}, progress: 0, user_id: 'u1', provider: 'sim',
  cost: { credits: 0, quota: 1 }, created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z' };

describe('VideoPage form (react-hook-form over the generated CreateVideoRequest)', () => {
  let posts: () => Promise<SentRequest[]>;
  beforeEach(() => {
    localStorage.clear();
    tokenStore.set('tok');
    posts = serveGenerationPage('/api/ai/video', task);
  });

  it('asks for a start frame in image mode, and sends a text-to-video request in text mode', async () => {
    renderWithProviders(<VideoPage />, { route: '/video' });
    fireEvent.change(screen.getByTestId('prompt-input'), { target: { value: 'rain on neon' } });
    const mode = screen.getByTestId('video-mode');
    fireEvent.click(within(mode).getAllByRole('radio').find((r) => r.dataset.value === 'image')!);
    fireEvent.click(screen.getByTestId('submit-button'));
    expect(await screen.findByText('Upload or pick a start frame for image-to-video.')).toBeTruthy();
    expect(await posts()).toEqual([]);

    fireEvent.click(within(mode).getAllByRole('radio').find((r) => r.dataset.value === 'text')!);
    fireEvent.click(screen.getByTestId('submit-button'));
    await waitFor(async () => expect(await posts()).toHaveLength(1));
    const body = JSON.parse((await posts())[0].body);
    expect(body).toMatchObject({ prompt: 'rain on neon', duration_s: 4, aspect_ratio: '16:9' });
    expect(body.image_url).toBeUndefined();
  });
});
