import type { ImgHTMLAttributes } from 'react';
import { mediaUrl } from '../../api/apiService';

/** An <img> whose src is always a media-proxy URL (anything else renders nothing). */
export function MediaImage({ src, alt, ...rest }: Omit<ImgHTMLAttributes<HTMLImageElement>, 'src'> & { src: string | null | undefined }) {
  const url = mediaUrl(src);
  if (!url) return null;
  return <img src={url} alt={alt} decoding="async" {...rest} />;
}

/** CSS aspect-ratio from "16:9"-style params. */
export function aspectStyle(ratio: unknown): { aspectRatio: string } {
  if (typeof ratio === 'string' && /^\d+:\d+$/.test(ratio)) return { aspectRatio: ratio.replace(':', ' / ') };
  return { aspectRatio: '1 / 1' };
}
