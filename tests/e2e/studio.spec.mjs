// The Sora Studio user journey (issue #3), in headless Chromium against the running local stack:
// register → image → "use as start frame" → image-to-video → reload mid-generation →
// lightbox playback + seeking + Range → gallery order and filter → logout/login history →
// client-side validation → phone layout. Run: BASE_URL=http://127.0.0.1:8080 node tests/e2e/studio.spec.mjs
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ARTIFACTS, PHONE, assert, log, randomEmail, registerViaUi, loginViaUi, runScenario, screenshot } from './lib.mjs';

const ACTIVE = ['PENDING', 'GENERATING'];
const PROXY_PREFIX = '/api/ai/proxy?';

const card = (page, id) => page.locator(`[data-testid="task-card"][data-task-id="${id}"]`);
const status = (page, id) => card(page, id).getAttribute('data-status');

/** GET an API path with the session token the app keeps in localStorage. */
async function apiGet(page, p) {
  return page.evaluate(async (url) => {
    const r = await fetch(url, { headers: { Authorization: `Bearer ${localStorage.getItem('sora.token')}` } });
    return { status: r.status, body: r.status === 204 ? null : await r.json() };
  }, p);
}

/** Samples a card's status and progress until it is COMPLETED (fails on FAILED or timeout). */
async function followTask(page, id, { timeoutMs = 40_000 } = {}) {
  const seen = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = card(page, id);
    const s = await c.getAttribute('data-status', { timeout: 5_000 });
    const p = ACTIVE.includes(s) ? await c.getByTestId('task-progress').getAttribute('data-progress', { timeout: 2_000 }).then((v) => (v === null ? null : `${v}%`)).catch(() => null) : null;
    const last = seen.at(-1);
    if (!last || last.status !== s || last.progress !== p) seen.push({ status: s, progress: p, t: Date.now() });
    if (s === 'COMPLETED') return seen;
    if (s === 'FAILED') {
      const err = await c.getByTestId('task-error').textContent().catch(() => '?');
      throw new Error(`task ${id} FAILED: ${err}`);
    }
    if (Date.now() > deadline) throw new Error(`task ${id} not COMPLETED within ${timeoutMs} ms; seen ${JSON.stringify(seen)}`);
    await page.waitForTimeout(150);
  }
}

const pct = (text) => (text == null ? null : Number(String(text).replace('%', '')));

await runScenario('studio', async ({ context }) => {
  const page = await context.newPage();
  const posts = [];
  page.on('request', (req) => {
    if (req.method() === 'POST' && new URL(req.url()).pathname.startsWith('/api/ai/')) posts.push(new URL(req.url()).pathname);
  });
  const user = { email: randomEmail(), password: `pw-${Math.random().toString(36).slice(2, 10)}!`, name: 'E2E Tester' };

  // 1. Guests are sent to the login page; register a new account from there.
  log(`1. register ${user.email}`);
  await registerViaUi(page, user, { shot: { login: '01-login', register: '02-register' } });
  const me = await apiGet(page, '/api/auth/me');
  assert.equal(me.status, 200);
  assert.equal(me.body.email, user.email);
  assert.equal(me.body.role, 'user');

  // 2. Image: the card shows up at once, runs, completes with a proxied, decodable thumbnail.
  log('2. image generation');
  await page.getByTestId('nav-image').click();
  await page.waitForURL(/\/image$/);
  await page.getByTestId('prompt-input').fill('A neon koi pond under a rainy cyberpunk skyline, e2e');
  await page.getByTestId('aspect-select').locator('[data-value="16:9"]').click();
  const [imageRes] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/ai/image'),
    page.getByTestId('image-form').getByTestId('submit-button').click(),
  ]);
  assert.equal(imageRes.status(), 202, 'POST /api/ai/image answers 202');
  const imageTask = await imageRes.json();
  const imageId = imageTask.id;
  await card(page, imageId).waitFor({ state: 'visible', timeout: 2_000 }); // "at once": from the POST answer, before any refetch
  const firstImageStatus = await status(page, imageId);
  assert.ok(ACTIVE.includes(firstImageStatus), `a new image task starts PENDING/GENERATING, was ${firstImageStatus}`);
  await card(page, imageId).getByTestId('task-progress').waitFor();
  const bar = card(page, imageId).getByTestId('progress-bar');
  await bar.waitFor();
  assert.equal(await bar.getAttribute('role'), 'progressbar');
  assert.ok(Number(await bar.getAttribute('aria-valuenow')) >= 0);
  const imageSeen = await followTask(page, imageId);
  log(`   image ${imageId}: ${imageSeen.map((s) => `${s.status}${s.progress ? `(${s.progress})` : ''}`).join(' → ')}`);
  const thumb = card(page, imageId).getByTestId('task-thumb');
  const thumbSrc = await thumb.getAttribute('src');
  assert.ok(thumbSrc?.startsWith(PROXY_PREFIX), `thumbnail src is a proxy URL: ${thumbSrc}`);
  await page.waitForFunction(
    (id) => {
      const img = document.querySelector(`[data-testid="task-card"][data-task-id="${id}"] img[data-testid="task-thumb"]`);
      return img && img.complete && img.naturalWidth > 0;
    },
    imageId,
    { timeout: 10_000 },
  );
  const imgSize = await thumb.evaluate((img) => [img.naturalWidth, img.naturalHeight]);
  log(`   thumbnail decoded ${imgSize.join('×')}`);
  const imageDone = (await apiGet(page, `/api/ai/tasks/${imageId}`)).body;
  assert.equal(imageDone.status, 'COMPLETED');
  assert.ok(imageDone.result.url.startsWith(PROXY_PREFIX));
  await screenshot(page, '04-image');

  // 3. "Use as video start frame" → the video page in image-to-video mode with that frame chosen.
  log('3. image-to-video from the image');
  await card(page, imageId).getByTestId('task-use-as-start').click();
  await page.waitForURL(/\/video\?image_url=/);
  assert.equal(new URL(page.url()).searchParams.get('image_url'), imageDone.result.url, 'the start frame travels in the URL');
  await page.getByTestId('video-form').waitFor();
  assert.equal(await page.getByTestId('video-mode').locator('[data-value="image"]').getAttribute('aria-checked'), 'true');
  const preview = page.getByTestId('start-frame-preview');
  await preview.waitFor();
  assert.equal(await preview.getAttribute('src'), imageDone.result.url, 'the preview shows the chosen image');
  await page.waitForFunction(() => {
    const img = document.querySelector('[data-testid="start-frame-preview"]');
    return img && img.complete && img.naturalWidth > 0;
  });
  // The picker lists the same image as the selected option.
  await page.locator('[data-testid="start-frame-option"][aria-checked="true"]').waitFor();
  await page.getByTestId('prompt-input').fill('The koi pond comes alive, slow dolly-in through the rain, e2e');
  const four = page.getByTestId('duration-select').locator('[data-value="4"]');
  await four.click();
  assert.equal(await four.getAttribute('aria-checked'), 'true');
  await screenshot(page, '03-video');
  const [videoRes] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/ai/video'),
    page.getByTestId('video-form').getByTestId('submit-button').click(),
  ]);
  assert.equal(videoRes.status(), 202, 'POST /api/ai/video answers 202');
  const sent = videoRes.request().postDataJSON();
  assert.equal(sent.image_url, imageDone.result.url, 'image-to-video sends the start frame');
  assert.equal(sent.duration_s, 4);
  const videoTask = await videoRes.json();
  const videoId = videoTask.id;
  assert.equal(videoTask.params.mode, 'image-to-video');
  await card(page, videoId).waitFor({ state: 'visible', timeout: 2_000 });
  const beforeReload = await status(page, videoId);
  assert.ok(ACTIVE.includes(beforeReload), `the new video task is running, was ${beforeReload}`);

  // 4. Reload mid-generation: the task is still there and keeps going to COMPLETED.
  log(`4. reload while ${videoId} is ${beforeReload}`);
  await page.reload();
  await card(page, videoId).waitFor({ state: 'visible', timeout: 10_000 });
  const afterReload = await status(page, videoId);
  log(`   after reload: ${afterReload}`);
  assert.ok(ACTIVE.includes(afterReload), `after the reload the task is still in progress (SIM_DURATION_S=3), was ${afterReload}`);
  assert.equal(await card(page, videoId).getAttribute('data-type'), 'video');
  const videoSeen = await followTask(page, videoId);
  log(`   video ${videoId}: ${videoSeen.map((s) => `${s.status}${s.progress ? `(${s.progress})` : ''}`).join(' → ')}`);
  const progressValues = videoSeen.map((s) => pct(s.progress)).filter((v) => v != null);
  for (let i = 1; i < progressValues.length; i++) {
    assert.ok(progressValues[i] >= progressValues[i - 1], `progress never goes back: ${progressValues}`);
  }
  assert.equal(videoSeen.at(-1).status, 'COMPLETED');

  // 5. Lightbox: proxied source, metadata, decoding, seeking; and Range over HTTP.
  log('5. lightbox playback');
  const videoDone = (await apiGet(page, `/api/ai/tasks/${videoId}`)).body;
  await card(page, videoId).getByTestId('task-open').click();
  const lightbox = page.getByTestId('lightbox');
  await lightbox.waitFor();
  const player = lightbox.getByTestId('lightbox-video');
  const videoSrc = await player.getAttribute('src');
  assert.ok(videoSrc?.startsWith(PROXY_PREFIX), `video src is a proxy URL: ${videoSrc}`);
  assert.equal(videoSrc, videoDone.result.url);
  const media = { canPlayType: await player.evaluate((v) => ({
    'video/mp4; codecs="avc1.42E01E"': v.canPlayType('video/mp4; codecs="avc1.42E01E"'),
    'video/mp4; codecs="avc1.64001F"': v.canPlayType('video/mp4; codecs="avc1.64001F"'),
    'video/mp4': v.canPlayType('video/mp4'),
  })) };
  const h264 = media.canPlayType['video/mp4; codecs="avc1.42E01E"'] !== '';
  await page.waitForFunction(
    () => {
      const v = document.querySelector('[data-testid="lightbox-video"]');
      return (v && v.readyState >= 1 && v.duration > 0) || (v && v.error);
    },
    null,
    { timeout: 15_000 },
  );
  const meta = await player.evaluate((v) => ({ readyState: v.readyState, duration: v.duration, error: v.error && { code: v.error.code, message: v.error.message } }));
  assert.equal(meta.error, null, `the player reports no media error: ${JSON.stringify(meta.error)}`);
  assert.ok(Math.abs(meta.duration - 4) < 0.5, `duration ≈ 4 s, was ${meta.duration}`);
  const seek = await player.evaluate(async (v, needData) => {
    const target = v.duration / 2;
    const seeked = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no 'seeked' within 10 s (readyState ${v.readyState})`)), 10_000);
      v.addEventListener('seeked', () => { clearTimeout(timer); resolve(); }, { once: true });
    });
    v.currentTime = target;
    await seeked;
    // HAVE_CURRENT_DATA: the frame at the new position is decoded.
    if (needData) {
      const t0 = Date.now();
      while (v.readyState < 2 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 50));
    }
    return { target, currentTime: v.currentTime, readyState: v.readyState, width: v.videoWidth, height: v.videoHeight };
  }, h264);
  assert.ok(seek.currentTime > 0 && Math.abs(seek.currentTime - seek.target) < 0.3, `seeking moved currentTime to the middle: ${JSON.stringify(seek)}`);
  if (h264) {
    assert.ok(seek.readyState >= 2, `H.264 decodes here, so readyState reaches HAVE_CURRENT_DATA: ${JSON.stringify(seek)}`);
    assert.ok(seek.width > 0 && seek.height > 0, `decoded frames have a size: ${JSON.stringify(seek)}`);
    // Actual playback: time advances while playing (muted, autoplay policy allows it).
    const played = await player.evaluate(async (v) => {
      v.muted = true;
      const from = v.currentTime;
      await v.play();
      await new Promise((r) => setTimeout(r, 700));
      v.pause();
      return { from, to: v.currentTime };
    });
    assert.ok(played.to > played.from + 0.2, `playback advances: ${JSON.stringify(played)}`);
    media.playback = played;
  } else {
    assert.ok(seek.readyState >= 1, `at least HAVE_METADATA: ${JSON.stringify(seek)}`);
    log('   LIMITATION: this Chromium cannot decode H.264; verified metadata + seeking only');
  }
  Object.assign(media, { h264Decodes: h264, metadata: meta, seek });
  log(`   media: ${JSON.stringify(media)}`);
  await screenshot(page, '05-lightbox-video');

  const ranged = await page.request.get(videoSrc, { headers: { Range: 'bytes=0-1' } });
  assert.equal(ranged.status(), 206, 'Range: bytes=0-1 answers 206');
  const contentRange = ranged.headers()['content-range'];
  assert.match(contentRange, /^bytes 0-1\/\d+$/);
  assert.equal(Number(contentRange.split('/')[1]), videoDone.result.bytes, 'Content-Range size is the object size');
  assert.equal((await ranged.body()).length, 2);
  assert.equal(ranged.headers()['accept-ranges'], 'bytes');
  media.range = { status: ranged.status(), contentRange };
  writeFileSync(path.join(ARTIFACTS, 'media-findings.json'), JSON.stringify(media, null, 2));
  await page.getByTestId('modal-close').click();
  await lightbox.waitFor({ state: 'detached' });

  // 6. Gallery: newest first; the type filter narrows to the video.
  log('6. gallery');
  await page.getByTestId('nav-gallery').click();
  await page.waitForURL(/\/gallery/);
  const gallery = page.getByTestId('task-grid');
  await gallery.waitFor();
  const galleryIds = () => gallery.getByTestId('task-card').evaluateAll((els) => els.map((e) => e.getAttribute('data-task-id')));
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="task-grid"] [data-testid="task-card"]').length === 2);
  assert.deepEqual(await galleryIds(), [videoId, imageId], 'both tasks, newest first');
  await page.waitForFunction(() =>
    [...document.querySelectorAll('[data-testid="task-grid"] img[data-testid="task-thumb"]')].every((i) => i.complete && i.naturalWidth > 0),
  );
  await screenshot(page, '06-gallery');
  await page.getByTestId('filter-type').selectOption('video');
  await page.waitForURL(/[?&]type=video/);
  await page.waitForFunction(() => {
    const cards = [...document.querySelectorAll('[data-testid="task-grid"] [data-testid="task-card"]')];
    return cards.length === 1 && cards[0].getAttribute('data-type') === 'video';
  });
  assert.deepEqual(await galleryIds(), [videoId], 'the video filter shows only the video');
  await screenshot(page, '06b-gallery-video-filter');

  // 7. Logout, login again: the history is still there.
  log('7. logout / login');
  await page.getByTestId('logout-button').click();
  await page.waitForURL(/\/login/);
  assert.equal(await page.evaluate(() => localStorage.getItem('sora.token')), null, 'logout clears the token');
  await loginViaUi(page, user);
  await page.getByTestId('nav-gallery').click();
  await page.waitForURL(/\/gallery$/);
  await gallery.waitFor();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="task-grid"] [data-testid="task-card"]').length === 2);
  assert.deepEqual(await galleryIds(), [videoId, imageId], 'history persists across sessions');
  for (const id of [videoId, imageId]) assert.equal(await status(page, id), 'COMPLETED');

  // 8. Bad input: an empty (and a blank) prompt is refused in the browser; nothing is sent.
  log('8. client-side validation');
  await page.getByTestId('nav-image').click();
  await page.waitForURL(/\/image$/);
  await page.getByTestId('image-form').waitFor();
  const postsBefore = posts.length;
  for (const text of ['', '   ']) {
    await page.getByTestId('prompt-input').fill(text);
    await page.getByTestId('image-form').getByTestId('submit-button').click();
    const alert = page.getByTestId('image-form').getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.textContent(), /at least 3 characters/);
    assert.equal(await page.getByTestId('prompt-input').getAttribute('aria-invalid'), 'true');
  }
  await page.waitForTimeout(500);
  assert.equal(posts.length, postsBefore, `no generation request was sent: ${posts.slice(postsBefore)}`);
  const imagesNow = await apiGet(page, '/api/ai/tasks?type=image');
  assert.deepEqual(imagesNow.body.items.map((t) => t.id), [imageId], 'no task was created');
  await screenshot(page, '08-validation');

  // 9. Phone: the gallery fits a 390 px screen.
  log('9. phone gallery');
  await page.setViewportSize(PHONE);
  await page.getByTestId('menu-toggle').click();
  await page.getByTestId('nav-gallery').click();
  await page.waitForURL(/\/gallery$/);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="task-grid"] [data-testid="task-card"]').length === 2);
  await page.waitForFunction(() =>
    [...document.querySelectorAll('[data-testid="task-grid"] img[data-testid="task-thumb"]')].every((i) => i.complete && i.naturalWidth > 0),
  );
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no horizontal scrolling on a phone (overflow ${overflow}px)`);
  await screenshot(page, '09-gallery-phone');

  assert.deepEqual(posts.filter((p) => p !== '/api/ai/image' && p !== '/api/ai/video'), [], 'only the two generation POSTs');
  assert.equal(posts.length, 2, `exactly two generations were requested: ${posts}`);
});
