import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Task } from '../../api/types';
import { renderWithProviders } from '../../test/render';
import { TaskCard } from './TaskCard';

function makeTask(over: Partial<Task>): Task {
  return {
    id: 't1',
    type: 'video',
    status: 'PENDING',
    progress: 0,
    prompt: 'a neon city at night',
    params: { aspect_ratio: '16:9', duration_s: 8 },
    provider: 'sim',
    result: null,
    error: null,
    cost: { credits: 0, from_quota: true },
    created_at: '2030-01-01T00:00:00Z',
    updated_at: '2030-01-01T00:00:00Z',
    started_at: null,
    completed_at: null,
    shared: false,
    stage: null,
    eta_s: null,
    refund_on_cancel: null,
    ...over,
  };
}

describe('TaskCard', () => {
  it('offers Cancel on a running task and says whether the charge comes back', () => {
    const { unmount } = renderWithProviders(<TaskCard task={makeTask({ status: 'GENERATING', refund_on_cancel: true })} />);
    expect(screen.getByTestId('task-cancel').textContent).toBe('Cancel (refunded)');
    unmount();
    renderWithProviders(<TaskCard task={makeTask({ status: 'GENERATING', refund_on_cancel: false })} />);
    expect(screen.getByTestId('task-cancel').textContent).toContain('the charge is kept');
  });

  it('shows live progress for a generating task', () => {
    renderWithProviders(<TaskCard task={makeTask({ status: 'GENERATING', progress: 42 })} />);
    const card = screen.getByTestId('task-card');
    expect(card.dataset.status).toBe('GENERATING');
    expect(screen.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('42');
    expect(screen.getByTestId('task-progress').textContent).toBe('42%');
    expect(screen.getByTestId('task-status').textContent).toBe('Generating');
    expect(screen.queryByTestId('task-delete')).toBeNull();
  });

  it("shows a failed task's error message and no progress bar", () => {
    renderWithProviders(
      <TaskCard
        task={makeTask({ status: 'FAILED', progress: 30, error: { code: 'safety', message: 'The prompt was refused by the safety filter.' } })}
        onDelete={() => undefined}
      />,
    );
    expect(screen.getByTestId('task-card').dataset.status).toBe('FAILED');
    expect(screen.getByTestId('task-error').textContent).toBe('The prompt was refused by the safety filter.');
    expect(screen.queryByRole('progressbar')).toBeNull();
    expect(screen.getByTestId('task-delete')).toBeTruthy();
  });

  it('renders a completed image through the media proxy only, lazily, with a download link', () => {
    const url = '/api/ai/proxy?url=gs%3A%2F%2Fb%2Fi.png&sig=aa';
    renderWithProviders(
      <TaskCard
        task={makeTask({
          type: 'image',
          status: 'COMPLETED',
          progress: 100,
          result: { url, thumbnail_url: url + '&thumb=1', mime_type: 'image/png', bytes: 10, width: 4, height: 4, duration_s: null },
        })}
        onUseAsStart={() => undefined}
      />,
    );
    const img = screen.getByTestId('task-thumb') as HTMLImageElement;
    expect(img.getAttribute('src')).toBe(url + '&thumb=1');
    expect(img.getAttribute('loading')).toBe('lazy');
    expect(screen.getByTestId('task-download').getAttribute('href')).toBe(url + '&download=1');
    expect(screen.getByTestId('task-use-as-start')).toBeTruthy();
  });
});
