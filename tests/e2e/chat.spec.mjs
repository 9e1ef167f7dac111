// Chat (docs/chat.md), a new user signed in by storageState: an empty / blank message is refused in
// the browser → a message whose reply streams in (recorded on every DOM change while it grows) →
// reload, reopen the conversation from the list: both messages are stored → an uploaded image
// attached to a second message: the sim assistant describes it (size, dominant colour).
import { apiCall, expect, nextFrames, screenshot, solidPng, test } from './fixtures.mjs';

const BUBBLES = '[data-testid="chat-messages"] [data-testid="chat-message"]';

/** The messages on screen as {role, text, attachments}; `text` is the message text alone (no sr-only label, no "…"). */
async function shownMessages(page) {
  return page.locator(BUBBLES).evaluateAll((els) =>
    els.map((el) => {
      const bubble = el.firstElementChild;
      // A reply is rendered Markdown; a user's message is plain text.
      const md = bubble.querySelector('[data-testid="markdown"]');
      const text = md ? md.textContent : [...bubble.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent).join('');
      return {
        role: el.getAttribute('data-role'),
        text,
        attachments: [...el.querySelectorAll('[data-testid="chat-attachment"]')].map((i) => i.getAttribute('src')),
      };
    }),
  );
}

/**
 * Records, inside the page, every distinct text of the last assistant bubble on every DOM change
 * (a MutationObserver) until stopped; answers a handle whose stop() gives [{text, streaming}] in order.
 */
async function startRecording(page) {
  await page.evaluate(() => {
    const seen = [];
    const read = () => {
      const els = document.querySelectorAll('[data-testid="chat-messages"] [data-testid="chat-message"][data-role="assistant"]');
      const el = els[els.length - 1];
      if (!el) return;
      const text = el.querySelector('[data-testid="markdown"]')?.textContent ?? '';
      const streaming = el.getAttribute('data-streaming') === 'true'; // the reply is still arriving
      if (!seen.length || seen[seen.length - 1].text !== text) seen.push({ text, streaming });
    };
    const observer = new MutationObserver(read);
    observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    window.__chatRecording = { seen, observer };
  });
  return {
    stop: () => page.evaluate(() => {
      window.__chatRecording.observer.disconnect();
      return window.__chatRecording.seen;
    }),
  };
}

test('a streamed reply, kept across a reload; an attached image described', async ({ page, account }) => {
  const token = account.token;
  const chatPosts = [];
  page.on('request', (req) => {
    if (req.method() === 'POST' && new URL(req.url()).pathname === '/api/ai/chat') chatPosts.push(req.postDataJSON());
  });
  await page.goto('/video');
  await page.getByTestId('nav-chat').click();
  await expect(page).toHaveURL(/\/chat$/);
  await expect(page.getByTestId('chat-form')).toBeVisible();
  const input = page.getByTestId('chat-input');
  const send = page.getByTestId('chat-send');
  const bubbles = page.locator(BUBBLES);

  await test.step('empty and blank messages are refused in the browser', async () => {
    for (const text of ['', '   \n  ']) {
      await input.fill(text);
      await expect(send, `Send is disabled for ${JSON.stringify(text)}`).toBeDisabled();
      await input.press('Enter');
      await send.click({ force: true }).catch(() => undefined); // a forced click on the disabled button does nothing either
    }
    await nextFrames(page);
    expect(chatPosts, 'no chat request was sent for an empty message').toEqual([]);
    await expect(bubbles, 'no message appeared').toHaveCount(0);
    await screenshot(page, 'chat-01-empty-refused');
  });

  const first = 'Suggest a rainy neon street scene for a short clip';
  const { reply, conversationId } = await test.step('a message: the reply streams in, then is the stored reply', async () => {
    await input.fill(first);
    await expect(send).toBeEnabled();
    const recorder = await startRecording(page);
    const [chatRes] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/ai/chat'),
      send.click(),
    ]);
    expect(chatRes.status()).toBe(200);
    expect(chatRes.headers()['content-type'] || '', 'the reply is an event stream').toMatch(/^text\/event-stream/);
    // The stream is over once the stored conversation replaced the local copies.
    await expect(bubbles).toHaveCount(2);
    await expect(bubbles.nth(1)).toHaveAttribute('data-role', 'assistant');
    await expect(bubbles.nth(1)).not.toHaveAttribute('data-local', 'true');
    const samples = await recorder.stop();
    const shown = await shownMessages(page);
    expect(shown.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(shown[0].text).toBe(first);
    const text = shown[1].text;
    expect(text.startsWith(`You asked: “${first}”.`), `the sim reply restates the request: ${text}`).toBe(true);
    const growing = samples.filter((s) => s.streaming && s.text);
    test.info().annotations.push({ type: 'stream', description: `${growing.map((s) => s.text.length).join(' → ')} chars while streaming; final ${text.length}` });
    expect(growing.length, `the reply was seen growing at least twice while streaming: ${JSON.stringify(samples)}`).toBeGreaterThanOrEqual(2);
    for (let i = 0; i < growing.length; i++) {
      expect(text.startsWith(growing[i].text), `each streamed text is a prefix of the final reply: ${JSON.stringify(growing[i].text)}`).toBe(true);
      if (i) expect(growing[i].text.length, 'the streamed text only grows').toBeGreaterThan(growing[i - 1].text.length);
    }
    expect(growing[0].text.length, 'the first streamed text is not already the whole reply').toBeLessThan(text.length);
    expect(chatPosts).toHaveLength(1);
    expect(Object.keys(chatPosts[0]), 'a new conversation sends only the message').toEqual(['message']);

    const list = await apiCall(page, 'GET', '/api/ai/chats', { token });
    expect(list.status).toBe(200);
    expect(list.body.items, 'one conversation is stored').toHaveLength(1);
    const id = list.body.items[0].id;
    const stored = await apiCall(page, 'GET', `/api/ai/chats/${id}`, { token });
    expect(stored.body.messages.map((m) => [m.role, m.text, m.partial]), 'what was shown is what is stored')
      .toEqual([['user', first, false], ['assistant', text, false]]);
    await screenshot(page, 'chat-02-reply');
    return { reply: text, conversationId: id };
  });

  await test.step('reload: the conversation is in the list; opening it shows both messages', async () => {
    await page.reload();
    await expect(page.getByTestId('chat-form')).toBeVisible();
    const items = page.getByTestId('chat-list-item');
    await expect(items).toHaveCount(1);
    const entry = items.locator('button[aria-current], button:not([data-testid])').first();
    await expect(entry, 'the conversation is titled by its first message').toContainText(/Suggest a rainy neon street scene/);
    await entry.click();
    await expect(entry).toHaveAttribute('aria-current', 'true');
    await expect(bubbles).toHaveCount(2);
    expect((await shownMessages(page)).map((m) => [m.role, m.text]), 'both messages are there after a reload')
      .toEqual([['user', first], ['assistant', reply]]);
  });

  await test.step('an uploaded image attached to a second message: the reply describes it (64x48, mostly red)', async () => {
    const [uploadRes] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/ai/uploads'),
      page.getByTestId('chat-upload-input').setInputFiles({ name: 'red.png', mimeType: 'image/png', buffer: solidPng(64, 48, [210, 40, 40]) }),
    ]);
    expect(uploadRes.status(), 'the upload is accepted').toBe(201);
    const uploaded = await uploadRes.json();
    const preview = page.getByTestId('chat-attachments').locator('img');
    await expect(preview).toHaveCount(1);
    await expect.poll(() => preview.evaluate((img) => img.complete && img.naturalWidth), { message: 'the preview decodes' }).toBe(64);
    const second = 'What could I make from this picture?';
    await input.fill(second);
    const [secondRes] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/ai/chat'),
      send.click(),
    ]);
    expect(secondRes.status()).toBe(200);
    const sent = chatPosts.at(-1);
    expect(sent.conversation_id, 'the second message goes to the open conversation').toBe(conversationId);
    expect(sent.attachments, 'the upload is attached').toEqual([uploaded.url]);
    await expect(bubbles).toHaveCount(4);
    await expect(bubbles.nth(3)).not.toHaveAttribute('data-streaming', 'true');
    await expect(bubbles.nth(3)).not.toHaveAttribute('data-local', 'true');
    const after = await shownMessages(page);
    expect(after.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(after[2].text).toBe(second);
    expect(after[2].attachments, 'the user message shows its attachment').toHaveLength(1);
    const described = after[3].text;
    expect(described, 'the reply describes the attached image').toMatch(/Image 1 is 64x48 pixels, mostly red \(#[0-9a-f]{6}\)\./);
    expect(described, 'the reply recalls the previous message').toMatch(/Building on what you said before \(“Suggest a rainy neon street scene/);
    expect(described).toMatch(/in the red tones of your reference/);
    const shownAttachment = page.locator(BUBBLES).getByTestId('chat-attachment').first();
    await expect.poll(() => shownAttachment.evaluate((img) => img.complete && img.naturalWidth), { message: 'the attachment decodes' }).toBe(64);
    const again = await apiCall(page, 'GET', `/api/ai/chats/${conversationId}`, { token });
    expect(again.body.messages).toHaveLength(4);
    expect(again.body.messages[2].attachments, 'the attachment is stored with the message').toHaveLength(1);
    expect(again.body.messages[3].text).toBe(described);
    await screenshot(page, 'chat-03-attachment');
  });
});
