// Issue 12 in headless Chromium against the running local stack: 2 variations of an image, prompt enhancer
// (and undo), a video remixed and extended (the extension's duration is the sum), share a video and open the
// public page logged out (it plays and seeks), revoke it (404), create an API token and generate with it over
// plain HTTP, change the password (the old session token gets 401).
// Run: BASE_URL=http://127.0.0.1:8080 node tests/e2e/features.spec.mjs
import { apiCall, assert, log, randomEmail, registerViaUi, runScenario, screenshot, tokenOf } from './lib.mjs';

const card = (page, id) => page.locator(`[data-testid="task-card"][data-task-id="${id}"]`);

async function waitCompleted(page, id, { timeoutMs = 60_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await apiCall(page, 'GET', `/api/ai/tasks/${id}`, { token: await tokenOf(page) });
    if (r.body?.status === 'COMPLETED') return r.body;
    if (r.body?.status === 'FAILED') throw new Error(`task ${id} FAILED: ${JSON.stringify(r.body.error)}`);
    if (Date.now() > deadline) throw new Error(`task ${id} not COMPLETED within ${timeoutMs} ms: ${JSON.stringify(r.body)}`);
    await page.waitForTimeout(250);
  }
}

/** Clicks "Generate" and answers the tasks the POST created (one, or the variations). */
async function generate(page, kind) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/api/ai/${kind}`),
    page.getByTestId('submit-button').click(),
  ]);
  assert.equal(response.status(), 202, `POST /api/ai/${kind} answers 202`);
  const body = await response.json();
  return body.items ?? [body];
}

await runScenario('features', async ({ browser, context }) => {
  const page = await context.newPage();
  const user = { email: randomEmail('feat'), password: `pw-${Math.random().toString(36).slice(2, 10)}!`, name: 'Features' };
  await registerViaUi(page, user);

  // 1. Image: enhance the prompt (undo, enhance again), then 2 variations: one task each, one group.
  log('1. image: enhance + 2 variations');
  await page.goto('/image');
  await page.getByTestId('prompt-input').fill('a lighthouse on a cliff');
  await page.getByTestId('enhance-prompt').click();
  await page.getByTestId('undo-enhance').waitFor();
  const enhanced = await page.getByTestId('prompt-input').inputValue();
  assert.ok(enhanced.startsWith('a lighthouse on a cliff') && enhanced.length > 40, `enhanced: ${enhanced}`);
  await page.getByTestId('undo-enhance').click();
  assert.equal(await page.getByTestId('prompt-input').inputValue(), 'a lighthouse on a cliff');
  await page.getByTestId('enhance-prompt').click();
  await page.getByTestId('undo-enhance').waitFor();
  await page.getByTestId('count-select').locator('[data-value="2"]').click();
  const images = await generate(page, 'image');
  assert.equal(images.length, 2, 'two variations');
  assert.equal(images[0].params.group_id, images[1].params.group_id);
  for (const t of images) await waitCompleted(page, t.id);
  for (const t of images) await card(page, t.id).getByTestId('variation-chip').waitFor();
  const me = await apiCall(page, 'GET', '/api/auth/me', { token: await tokenOf(page) });
  assert.equal(me.body.quota.image.used, 2, 'one charge per variation');
  assert.equal(me.body.quota.chat.used, 2, 'one chat unit per enhancement');
  await screenshot(page, 'features-01-variations');

  // 2. Video: make one, extend it (longer: the durations add up), remix it.
  log('2. video: generate, extend, remix');
  await page.goto('/video');
  await page.getByTestId('prompt-input').fill('a neon city at night, rain');
  const [video] = await generate(page, 'video');
  const source = await waitCompleted(page, video.id);
  await card(page, video.id).getByTestId('task-extend').click();
  await page.getByTestId('video-source').waitFor();
  assert.equal(await page.getByTestId('video-source').getAttribute('data-mode'), 'extend');
  await page.getByTestId('prompt-input').fill('the camera rises above the rooftops');
  const [extension] = await generate(page, 'video');
  assert.equal(extension.params.extend_of ?? extension.params.source_task_id, source.id);
  const extended = await waitCompleted(page, extension.id);
  const sum = source.result.duration_s + extension.params.duration_s;
  assert.ok(Math.abs(extended.result.duration_s - sum) < 0.2, `extended ${extended.result.duration_s} s, want ${sum} s`);

  await card(page, video.id).getByTestId('task-remix').click();
  await page.getByTestId('video-source').waitFor();
  // A remix starts from the source prompt, once the source task has loaded (fails after the default timeout).
  await page.waitForFunction((want) => document.querySelector('[data-testid="prompt-input"]')?.value === want, source.prompt);
  await page.getByTestId('prompt-input').fill('a neon city at night, in snow');
  const [remix] = await generate(page, 'video');
  assert.equal(remix.params.mode, 'remix');
  assert.equal(remix.params.seed, source.params.seed, 'a remix keeps the seed');
  await waitCompleted(page, remix.id);
  await screenshot(page, 'features-02-remix-extend');

  // 3. Share the video; open the public page logged out: it plays and seeks; revoke: 404.
  log('3. share, public page, revoke');
  await card(page, video.id).getByTestId('task-share').click();
  await page.getByTestId('share-create').click();
  const shareUrl = await page.getByTestId('share-url').inputValue();
  assert.match(shareUrl, /\/s\/[A-Za-z0-9_-]{32}$/);
  await screenshot(page, 'features-03-share-dialog');

  const guest = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
  const pub = await guest.newPage();
  const html = await (await pub.request.get(shareUrl)).text();
  assert.ok(html.includes('property="og:video"') && html.includes('property="og:image"'), 'Open Graph tags in the HTML');
  const pubLog = [];
  pub.on('console', (m) => pubLog.push(`${m.type()}: ${m.text()}`));
  pub.on('pageerror', (e) => pubLog.push(`pageerror: ${e.message}`));
  await pub.goto(shareUrl);
  await pub.getByTestId('shared-video').waitFor().catch(async (err) => {
    await screenshot(pub, 'FAILED-features-public');
    throw new Error(`${err.message}\npublic page log:\n${pubLog.join('\n')}\n${(await pub.content()).slice(0, 3000)}`);
  });
  const played = await pub.evaluate(async () => {
    const v = document.querySelector('[data-testid="shared-video"]');
    v.muted = true;
    await v.play();
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no seeked event within 10 s')), 10_000);
      v.addEventListener('seeked', () => { clearTimeout(timer); resolve(); }, { once: true });
      v.currentTime = 2.5;
    });
    return { time: v.currentTime, duration: v.duration, ready: v.readyState, src: v.currentSrc };
  });
  assert.ok(played.duration > 3 && played.time >= 2 && played.ready >= 2, `playback: ${JSON.stringify(played)}`);
  assert.equal((await pub.request.get(played.src, { headers: { Range: 'bytes=0-9' } })).status(), 206);
  await screenshot(pub, 'features-04-public-page');

  await page.getByTestId('share-revoke').click();
  await page.getByTestId('share-create').waitFor();
  assert.equal((await pub.request.get(played.src)).status(), 404, 'the media link dies with the share');
  assert.equal((await pub.request.get(new URL(`/api/public/shares/${shareUrl.split('/s/')[1]}`, shareUrl).toString())).status(), 404);
  await pub.goto(shareUrl);
  await pub.getByTestId('share-missing').waitFor();
  await guest.close();
  await page.keyboard.press('Escape');

  // 4. A developer API token generates over plain HTTP with the owner's quota; it cannot reach account routes.
  log('4. API token');
  await page.goto('/account');
  await page.getByTestId('token-name').fill('e2e script');
  await page.getByTestId('create-token').click();
  const apiToken = (await page.getByTestId('new-token').textContent()).trim();
  assert.match(apiToken, /^sora_/);
  await page.getByTestId('token-row').first().waitFor();
  const viaToken = await apiCall(page, 'POST', '/api/ai/image', { token: apiToken, data: { prompt: 'made by a script' } });
  assert.equal(viaToken.status, 202, JSON.stringify(viaToken.body));
  assert.equal((await apiCall(page, 'GET', '/api/auth/me', { token: apiToken })).status, 403);
  await waitCompleted(page, viaToken.body.id);
  await screenshot(page, 'features-05-account');

  // 5. Change the password: the old session token gets 401; the new password signs in.
  log('5. password change');
  const oldToken = await tokenOf(page);
  await page.getByTestId('current-password').fill(user.password);
  await page.getByTestId('new-password').fill(`${user.password}-new`);
  await page.getByTestId('change-password').click();
  await page.waitForURL((u) => u.pathname.startsWith('/login'));
  assert.equal((await apiCall(page, 'GET', '/api/auth/me', { token: oldToken })).status, 401);
  const again = await apiCall(page, 'POST', '/api/auth/login', { data: { email: user.email, password: `${user.password}-new` } });
  assert.equal(again.status, 200);
  assert.equal((await apiCall(page, 'GET', '/api/ai/tasks', { token: apiToken })).status, 200, 'API tokens survive a password change');
});
