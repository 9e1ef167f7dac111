// Issue #11's "done when", for a new user (signed in by storageState): at 390×844 the chat input is
// ≥ 70 % of the viewport wide; after 10 exchanges the composer is still in view; /chat/<id> survives a
// reload; a reply's **bold** renders bold; deleting a conversation asks first (and can be undone); a
// generation finishing while the user is on another page changes document.title and shows a toast;
// the gallery has no vertical gap over 24 px between a card and the one below it.
import path from 'node:path';
import { ARTIFACTS, apiCall, expect, settled, test, waitCompleted } from './fixtures.mjs';

test('chat on a phone, completion notices, masonry gaps', async ({ page, account, newContext }) => {
  const token = account.token;

  await test.step('seed: images in four aspect ratios and one video, all finished', async () => {
    const seeded = [];
    for (const aspect_ratio of ['16:9', '9:16', '1:1', '4:3']) {
      const r = await apiCall(page, 'POST', '/api/ai/image', { token, data: { prompt: `A neon koi, ${aspect_ratio}, e2e ux`, aspect_ratio } });
      expect(r.status, JSON.stringify(r.body)).toBe(202);
      seeded.push(r.body.id);
    }
    const video = await apiCall(page, 'POST', '/api/ai/video', { token, data: { prompt: 'Rain on a neon street, slow dolly', duration_s: 4, aspect_ratio: '9:16' } });
    expect(video.status, JSON.stringify(video.body)).toBe(202);
    seeded.push(video.body.id);
    for (const id of seeded) await waitCompleted(page, token, id, 30_000);
  });

  await test.step('chat on a phone: input width, 10 exchanges, composer in view, bold, reload, delete asks first, undo', async () => {
    const phone = await newContext({ token, size: 'phone' });
    const chat = await phone.newPage();
    await chat.goto('/chat');
    const input = chat.getByTestId('chat-input');
    await expect(input).toBeVisible();
    const inputBox = await input.boundingBox();
    expect(inputBox.width, 'the chat input is ≥ 70 % of a 390 px viewport').toBeGreaterThanOrEqual(0.7 * 390);
    const messages = chat.locator('[data-testid="chat-messages"] [data-testid="chat-message"]');
    for (let i = 1; i <= 10; i++) {
      await input.fill(i === 10 ? 'Make the last word **bold** please' : `Exchange ${i}: a shot list for a rainy neon street`);
      await chat.getByTestId('chat-send').click();
      await expect(messages).toHaveCount(i * 2, { timeout: 20_000 });
      await expect(messages.last()).toHaveAttribute('data-role', 'assistant');
      await expect(messages.last(), `reply ${i} is the stored one`).toHaveAttribute('data-local', 'false', { timeout: 20_000 });
    }
    expect(new URL(chat.url()).pathname, 'the conversation is in the URL').toMatch(/^\/chat\/[0-9a-f]+$/);
    const inView = await chat.evaluate(() => {
      const form = document.querySelector('[data-testid="chat-form"]').getBoundingClientRect();
      const list = document.querySelector('[data-testid="chat-messages"]');
      return { top: form.top, bottom: form.bottom, vh: window.innerHeight, docScroll: document.scrollingElement.scrollHeight, atBottom: list.scrollHeight - list.scrollTop - list.clientHeight < 4 };
    });
    expect(inView.top >= 0 && inView.bottom <= inView.vh, `after 10 exchanges the composer is in view: ${JSON.stringify(inView)}`).toBe(true);
    expect(inView.docScroll, `the page does not grow with the conversation: ${JSON.stringify(inView)}`).toBeLessThanOrEqual(inView.vh + 1);
    expect(inView.atBottom, 'the history followed the newest reply').toBe(true);
    await expect(messages.last().locator('strong').first(), 'a reply’s **bold** renders as <strong>').toHaveText('bold');
    await chat.screenshot({ path: path.join(ARTIFACTS, 'ux-chat-10-exchanges-phone.png'), animations: 'disabled' });

    const chatUrl = chat.url();
    await chat.reload();
    await expect(messages).toHaveCount(20);
    expect(chat.url(), '/chat/<id> survives a reload').toBe(chatUrl);

    const deletes = [];
    chat.on('request', (r) => r.method() === 'DELETE' && deletes.push(r.url()));
    await chat.getByTestId('chat-history').click();
    await chat.getByTestId('chat-drawer').getByTestId('chat-delete').first().click();
    await expect(chat.getByTestId('chat-confirm-delete')).toBeVisible();
    expect(deletes, 'nothing is deleted before the user confirms').toEqual([]);
    await chat.screenshot({ path: path.join(ARTIFACTS, 'ux-chat-delete-confirm-phone.png'), animations: 'disabled' });
    await chat.getByTestId('chat-confirm-delete').getByTestId('confirm-button').click();
    await expect(chat.getByTestId('chat-deleted-toast')).toBeVisible();
    await chat.getByTestId('chat-deleted-toast').getByTestId('toast-action').click(); // undo
    await chat.getByTestId('chat-history').click();
    await expect(chat.getByTestId('chat-drawer').getByTestId('chat-list-item').first()).toBeVisible();
    expect(deletes, 'undo keeps the conversation').toEqual([]);
    const stored = await apiCall(chat, 'GET', '/api/ai/chats', { token });
    expect(stored.body.items, 'the conversation is still stored').toHaveLength(1);
    await phone.close();
  });

  await test.step('a generation finishes while the user is on Chat: title and toast', async () => {
    const desk = await newContext({ token });
    const p2 = await desk.newPage();
    await p2.goto('/image');
    await p2.getByTestId('prompt-input').fill('A chrome fox under neon rain, e2e ux notify');
    await p2.getByTestId('submit-button').click();
    await expect(p2).toHaveTitle(/Generating/, { timeout: 10_000 });
    await p2.getByTestId('nav-chat').click();
    await expect(p2).toHaveTitle(/^✓/, { timeout: 30_000 });
    await expect(p2.getByTestId('task-done-toast')).toBeVisible();
    await expect(p2).toHaveTitle(/Done — Sora Studio/);
    await expect(p2.getByTestId('gallery-badge')).toBeVisible();
    await desk.close();
  });

  for (const size of ['desktop', 'phone']) {
    await test.step(`gallery masonry at ${size}: no vertical gap over 24 px`, async () => {
      const ctx = await newContext({ token, size });
      const g = await ctx.newPage();
      await g.goto('/gallery');
      await expect(g.getByTestId('task-card').first()).toBeVisible();
      await settled(g);
      await expect
        .poll(() => g.locator('[data-testid="task-card"] img').evaluateAll((imgs) => imgs.every((i) => i.complete)), { message: 'every card image has loaded' })
        .toBe(true);
      const gaps = await g.evaluate(() =>
        [...document.querySelectorAll('[data-testid="masonry-column"]')].map((col) => {
          const cards = [...col.querySelectorAll(':scope > [data-testid="task-card"]')].map((c) => c.getBoundingClientRect());
          return cards.slice(1).map((c, i) => Math.round(c.top - cards[i].bottom));
        }),
      );
      expect(gaps.length, `${size}: at least two columns`).toBeGreaterThanOrEqual(2);
      for (const gap of gaps.flat()) expect(gap >= 0 && gap <= 24, `${size}: a gap of ${gap} px between cards: ${JSON.stringify(gaps)}`).toBe(true);
      await ctx.close();
    });
  }
});
