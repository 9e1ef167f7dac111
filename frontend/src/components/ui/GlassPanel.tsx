import type { HTMLAttributes, ReactNode } from 'react';
import { cx } from './cx';

interface Props extends HTMLAttributes<HTMLElement> {
  noValidate?: boolean;
  as?: 'section' | 'div' | 'article' | 'aside' | 'form';
  strong?: boolean;
  /** false: no inner padding (the caller lays out edge-to-edge content). */
  padded?: boolean;
  children: ReactNode;
}

export function GlassPanel({ as: Tag = 'section', strong, padded = true, className, children, ...rest }: Props) {
  return (
    <Tag className={cx(strong ? 'glass-strong' : 'glass', padded && 'p-5 sm:p-6', className)} {...rest}>
      {children}
    </Tag>
  );
}
