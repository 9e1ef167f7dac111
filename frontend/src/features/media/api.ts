// Uploads (API.md POST /api/ai/uploads): a start frame, a reference or a chat attachment.
import { useMutation } from '@tanstack/react-query';
import { client, unwrap } from '../../api/client';
import type { UploadResult } from '../../api/types';

/** POST /api/ai/uploads as multipart/form-data (`file`); the answer's proxy URL goes into a request. */
export function uploadImage(file: File): Promise<UploadResult> {
  const form = new FormData();
  form.append('file', file);
  return unwrap(
    client.POST('/api/ai/uploads', {
      body: form as unknown as { file: string }, // the generated type says "binary"; the browser sends the File
      bodySerializer: (body) => body as unknown as FormData, // as is: fetch writes the multipart boundary
    }),
  );
}

export function useUploadImage(onUploaded: (result: UploadResult) => void) {
  return useMutation({ mutationFn: uploadImage, onSuccess: onUploaded });
}
