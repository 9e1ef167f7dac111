import type { HTMLAttributes, ReactNode } from 'react';
import { cx } from './cx';

interface Props extends HTMLAttributes<HTMLElement> {
  noValidate?: boolean;
  as?: 'section' | 'div' | 'article' | 'aside' | 'form';
  strong?: boolean;
  children: ReactNode;
}

export function GlassPanel({ as: Tag = 'section', strong, className, children, ...rest }: Props) {
  return (
    <Tag className={cx(strong ? 'glass-strong' : 'glass', 'p-5 sm:p-6', className)} {...rest}>
      {children}
    </Tag>
  );
}
