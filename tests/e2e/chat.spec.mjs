// Chat (docs/chat.md), in headless Chromium against the running local stack:
// register → Chat → a message whose reply streams in word by word (sampled while it grows) →
// reload, reopen the conversation from the list: both messages are stored → an uploaded image
// attached to a second message: the sim assistant describes it (size, dominant colour) →
// an empty / blank message is refused in the browser. Run: BASE_URL=… node tests/e2e/chat.spec.mjs
import { apiCall, assert, log, randomEmail, registerViaUi, runScenario, screenshot, solidPng, tokenOf } from './lib.mjs';

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
 * Records, inside the page, every distinct text of the last assistant bubble (every 10 ms) until
 * stopped; answers a handle whose stop() gives [{t, text}] in order.
 */
async function startSampling(page) {
  await page.evaluate(() => {
    const seen = [];
    const read = () => {
      const els = document.querySelectorAll('[data-testid="chat-messages"] [data-testid="chat-message"][data-role="assistant"]');
      const el = els[els.length - 1];
      if (!el) return;
      const text = el.querySelector('[data-testid="markdown"]')?.textContent ?? '';
      const streaming = el.getAttribute('data-streaming') === 'true'; // the reply is still arriving
      if (!seen.length || seen[seen.length - 1].text !== text) seen.push({ t: performance.now(), text, streaming });
    };
    window.__chatSamples = seen;
    window.__chatSampler = setInterval(read, 10);
  });
  return {
    stop: () =>
      page.evaluate(() => {
        clearInterval(window.__chatSampler);
        return window.__chatSamples;
      }),
  };
}

await runScenario('chat', async ({ context }) => {
  const page = await context.newPage();
  const chatPosts = [];
  page.on('request', (req) => {
    if (req.method() === 'POST' && new URL(req.url()).pathname === '/api/ai/chat') chatPosts.push(req.postDataJSON());
  });
  const user = { email: randomEmail('e2e-chat'), password: `pw-${Math.random().toString(36).slice(2, 10)}!`, name: 'Chat Tester' };

  log(`1. register ${user.email}, open Chat`);
  await registerViaUi(page, user);
  await page.getByTestId('nav-chat').click();
  await page.waitForURL(/\/chat$/);
  await page.getByTestId('chat-form').waitFor();
  const input = page.getByTestId('chat-input');
  const send = page.getByTestId('chat-send');

  // 2. Empty and blank messages are refused in the browser: the button is disabled, Enter sends nothing.
  log('2. empty message refused client-side');
  for (const text of ['', '   \n  ']) {
    await input.fill(text);
    assert.equal(await send.isDisabled(), true, `Send is disabled for ${JSON.stringify(text)}`);
    await input.press('Enter');
    await send.click({ force: true }).catch(() => undefined); // a forced click on the disabled button does nothing either
  }
  await page.waitForTimeout(400);
  assert.deepEqual(chatPosts, [], 'no chat request was sent for an empty message');
  assert.equal(await page.locator(BUBBLES).count(), 0, 'no message appeared');
  await screenshot(page, 'chat-01-empty-refused');

  // 3. A message: the reply streams in (the text grows while it arrives), then is the stored reply.
  const first = 'Suggest a rainy neon street scene for a short clip';
  log('3. send a message, sample the streaming reply');
  await input.fill(first);
  assert.equal(await send.isDisabled(), false);
  const sampler = await startSampling(page);
  const [chatRes] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/ai/chat'),
    send.click(),
  ]);
  assert.equal(chatRes.status(), 200);
  assert.match(chatRes.headers()['content-type'] || '', /^text\/event-stream/, 'the reply is an event stream');
  // The stream is over once the stored conversation replaced the local copies (no " …" marker, 2 bubbles).
  await page.waitForFunction(
    (sel) => {
      const els = [...document.querySelectorAll(sel)];
      return els.length === 2 && els[1].getAttribute('data-role') === 'assistant' && els[1].getAttribute('data-local') !== 'true';
    },
    BUBBLES,
    { timeout: 15_000 },
  );
  const samples = await sampler.stop();
  const shown = await shownMessages(page);
  assert.deepEqual(shown.map((m) => m.role), ['user', 'assistant']);
  assert.equal(shown[0].text, first);
  const reply = shown[1].text;
  assert.ok(reply.startsWith(`You asked: “${first}”.`), `the sim reply restates the request: ${reply}`);
  const growing = samples.filter((s) => s.streaming && s.text);
  log(`   ${samples.length} distinct texts sampled, ${growing.length} while streaming: ${growing.map((s) => s.text.length).join(' → ')} chars; final ${reply.length}`);
  assert.ok(growing.length >= 2, `the reply was seen growing at least twice while streaming: ${JSON.stringify(samples)}`);
  for (let i = 0; i < growing.length; i++) {
    assert.ok(reply.startsWith(growing[i].text), `each streamed text is a prefix of the final reply: ${JSON.stringify(growing[i].text)}`);
    if (i) assert.ok(growing[i].text.length > growing[i - 1].text.length, 'the streamed text only grows');
  }
  assert.ok(growing[0].text.length < reply.length, 'the first streamed text is not already the whole reply');
  assert.equal(chatPosts.length, 1);
  assert.deepEqual(Object.keys(chatPosts[0]), ['message'], `a new conversation sends only the message: ${JSON.stringify(chatPosts[0])}`);

  const token = await tokenOf(page);
  const list = await apiCall(page, 'GET', '/api/ai/chats', { token });
  assert.equal(list.status, 200);
  assert.equal(list.body.items.length, 1, 'one conversation is stored');
  const conversationId = list.body.items[0].id;
  const stored = await apiCall(page, 'GET', `/api/ai/chats/${conversationId}`, { token });
  assert.deepEqual(stored.body.messages.map((m) => [m.role, m.text, m.partial]), [['user', first, false], ['assistant', reply, false]], 'what was shown is what is stored');
  await screenshot(page, 'chat-02-reply');

  // 4. Reload: the conversation is in the list; opening it shows both messages.
  log('4. reload, open the conversation from the list');
  await page.reload();
  await page.getByTestId('chat-form').waitFor();
  const items = page.getByTestId('chat-list-item');
  await items.first().waitFor();
  assert.equal(await items.count(), 1);
  const entry = items.locator('button[aria-current], button:not([data-testid])');
  assert.match(await entry.first().textContent(), /Suggest a rainy neon street scene/, 'the conversation is titled by its first message');
  await entry.first().click();
  assert.equal(await entry.first().getAttribute('aria-current'), 'true');
  await page.waitForFunction((sel) => document.querySelectorAll(sel).length === 2, BUBBLES);
  assert.deepEqual((await shownMessages(page)).map((m) => [m.role, m.text]), [['user', first], ['assistant', reply]], 'both messages are there after a reload');

  // 5. Attach an uploaded image to a second message: the reply describes it (64x48, mostly red).
  log('5. second message with an uploaded image');
  const [uploadRes] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/ai/uploads'),
    page.getByTestId('chat-upload-input').setInputFiles({ name: 'red.png', mimeType: 'image/png', buffer: solidPng(64, 48, [210, 40, 40]) }),
  ]);
  assert.equal(uploadRes.status(), 201, 'the upload is accepted');
  const uploaded = await uploadRes.json();
  const preview = page.getByTestId('chat-attachments').locator('img');
  await preview.waitFor();
  assert.equal(await preview.count(), 1);
  await page.waitForFunction(() => {
    const img = document.querySelector('[data-testid="chat-attachments"] img');
    return img && img.complete && img.naturalWidth === 64;
  });
  const second = 'What could I make from this picture?';
  await input.fill(second);
  const [secondRes] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/ai/chat'),
    send.click(),
  ]);
  assert.equal(secondRes.status(), 200);
  const sent = chatPosts.at(-1);
  assert.equal(sent.conversation_id, conversationId, 'the second message goes to the open conversation');
  assert.deepEqual(sent.attachments, [uploaded.url], 'the upload is attached');
  await page.waitForFunction(
    (sel) => {
      const els = [...document.querySelectorAll(sel)];
      return els.length === 4 && els[3].getAttribute('data-streaming') !== 'true' && els[3].getAttribute('data-local') !== 'true';
    },
    BUBBLES,
    { timeout: 15_000 },
  );
  const after = await shownMessages(page);
  assert.deepEqual(after.map((m) => m.role), ['user', 'assistant', 'user', 'assistant']);
  assert.equal(after[2].text, second);
  assert.equal(after[2].attachments.length, 1, 'the user message shows its attachment');
  const described = after[3].text;
  log(`   reply: ${described}`);
  assert.match(described, /Image 1 is 64x48 pixels, mostly red \(#[0-9a-f]{6}\)\./, 'the reply describes the attached image');
  assert.match(described, /Building on what you said before \(“Suggest a rainy neon street scene/, 'the reply recalls the previous message');
  assert.match(described, /in the red tones of your reference/);
  await page.waitForFunction(() => {
    const img = document.querySelector('[data-testid="chat-messages"] [data-testid="chat-attachment"]');
    return img && img.complete && img.naturalWidth === 64;
  });
  const again = await apiCall(page, 'GET', `/api/ai/chats/${conversationId}`, { token });
  assert.equal(again.body.messages.length, 4);
  assert.equal(again.body.messages[2].attachments.length, 1, 'the attachment is stored with the message');
  assert.equal(again.body.messages[3].text, described);
  await screenshot(page, 'chat-03-attachment');
});
