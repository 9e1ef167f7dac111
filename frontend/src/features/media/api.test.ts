// @vitest-environment node
// (jsdom's FormData is not the one undici's Request reads; in node both are undici's, as in a browser both are the browser's.)
import { afterEach, describe, expect, it, vi } from 'vitest';
import { uploadImage } from './api';

afterEach(() => vi.unstubAllGlobals());

describe('uploadImage (the generated client, multipart)', () => {
  it('sends a multipart upload as FormData (the browser sets the boundary)', async () => {
    const seen: Request[] = [];
    vi.stubGlobal('fetch', vi.fn(async (req: Request) => {
      seen.push(req);
      return new Response(JSON.stringify({ url: '/api/ai/proxy?x=1', content_type: 'image/png', size: 3 }), { status: 201, headers: { 'Content-Type': 'application/json' } });
    }));
    const result = await uploadImage(new File([new Uint8Array([1, 2, 3])], 'a.png', { type: 'image/png' }));
    expect(result.url).toBe('/api/ai/proxy?x=1');
    expect(seen[0].headers.get('Content-Type')).toMatch(/^multipart\/form-data; boundary=/);
    const sent = await seen[0].formData();
    expect((sent.get('file') as File).size).toBe(3);
  });
});
