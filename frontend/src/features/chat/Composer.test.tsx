import { fireEvent, screen, waitFor } from '@testing-library/react';
import { useState } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { renderWithProviders } from '../../test/render';
import { Composer } from './Composer';

// ChatRequest.message is 1..8000 characters in openapi.json, counted in code points.
describe('Composer (react-hook-form over the generated ChatRequest schema)', () => {
  const type = (text: string) => fireEvent.change(screen.getByTestId('chat-input'), { target: { value: text } });

  it('sends the trimmed message and clears the box', async () => {
    const onSend = vi.fn();
    renderWithProviders(<Composer busy={false} returned={null} onSend={onSend} onStop={() => undefined} />);
    type('  hello  ');
    fireEvent.click(screen.getByTestId('chat-send'));
    await waitFor(() => expect(onSend).toHaveBeenCalledWith('hello', []));
    await waitFor(() => expect((screen.getByTestId('chat-input') as HTMLTextAreaElement).value).toBe(''));
  });

  it('refuses a message over the limit, counting an emoji as one character', async () => {
    const onSend = vi.fn();
    renderWithProviders(<Composer busy={false} returned={null} onSend={onSend} onStop={() => undefined} />);
    type('x'.repeat(8001));
    fireEvent.click(screen.getByTestId('chat-send'));
    expect((await screen.findByTestId('chat-error')).textContent).toBe('Message is too long (max 8000 characters).');
    expect(onSend).not.toHaveBeenCalled();

    type('🦊'.repeat(8000)); // 16,000 UTF-16 units, 8,000 characters: the API takes it
    fireEvent.click(screen.getByTestId('chat-send'));
    await waitFor(() => expect(onSend).toHaveBeenCalledTimes(1));
  });

  it('puts a returned message back in the box', async () => {
    function Page() {
      const [returned, setReturned] = useState<{ text: string; seq: number } | null>(null);
      return (
        <>
          <button type="button" onClick={() => setReturned({ text: 'try again', seq: 1 })}>
            hand back
          </button>
          <Composer busy={false} returned={returned} onSend={() => undefined} onStop={() => undefined} />
        </>
      );
    }
    renderWithProviders(<Page />);
    type('draft');
    fireEvent.click(screen.getByRole('button', { name: 'hand back' }));
    await waitFor(() => expect((screen.getByTestId('chat-input') as HTMLTextAreaElement).value).toBe('try again'));
  });
});
