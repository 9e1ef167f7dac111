import { fireEvent, screen, waitFor } from '@testing-library/react';
import { beforeEach, describe, expect, it } from 'vitest';
import { tokenStore } from '../../api/apiService';
import { type SentRequest, serveGenerationPage } from '../../test/msw';
import { renderWithProviders } from '../../test/render';
import ImagePage from './ImagePage';

const task = { id: 't1', type: 'image', status: 'PENDING', prompt: 'neon fox', params: {}, progress: 0, user_id: 'u1', provider: 'sim',
  cost: { credits: 0, quota: 1 }, created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z' };

describe('ImagePage form (react-hook-form over the generated CreateImageRequest)', () => {
  let posts: () => Promise<SentRequest[]>;
  beforeEach(() => {
    localStorage.clear();
    tokenStore.set('tok');
    posts = serveGenerationPage('/api/ai/image', task);
  });

  it('refuses an empty prompt without sending, then sends the trimmed prompt', async () => {
    renderWithProviders(<ImagePage />, { route: '/image' });
    fireEvent.click(screen.getByTestId('submit-button'));
    expect(await screen.findByText('Describe what to generate.')).toBeTruthy();
    expect(await posts()).toEqual([]);

    fireEvent.change(screen.getByTestId('prompt-input'), { target: { value: '  neon fox  ' } });
    fireEvent.click(screen.getByTestId('submit-button'));
    await waitFor(async () => expect(await posts()).toHaveLength(1));
    const [sent] = await posts();
    expect(sent.path).toBe('/api/ai/image');
    expect(JSON.parse(sent.body)).toMatchObject({ prompt: 'neon fox', aspect_ratio: '1:1' });
  });

  it('counts the prompt as the API does: 2,000 emoji are not too long, 2,001 are', async () => {
    renderWithProviders(<ImagePage />, { route: '/image' });
    fireEvent.change(screen.getByTestId('prompt-input'), { target: { value: '🦊'.repeat(2001) } });
    fireEvent.click(screen.getByTestId('submit-button'));
    expect(await screen.findByText('Prompt is too long (max 2000 characters).')).toBeTruthy();
    fireEvent.change(screen.getByTestId('prompt-input'), { target: { value: '🦊'.repeat(2000) } });
    fireEvent.click(screen.getByTestId('submit-button'));
    await waitFor(async () => expect(await posts()).toHaveLength(1));
  });
});
