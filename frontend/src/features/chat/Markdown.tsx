// A reply's Markdown (GFM: tables, lists, strikethrough, task lists) rendered
// by react-markdown. Raw HTML is never rendered and rehype-sanitize strips
// anything outside GitHub's safe subset; links open in a new tab without opener.
import { memo, useState, type ComponentPropsWithoutRef } from 'react';
import ReactMarkdown, { type Components } from 'react-markdown';
import rehypeSanitize from 'rehype-sanitize';
import remarkGfm from 'remark-gfm';
import { Icon } from '../../components/layout/icons';
import { useI18n } from '../../i18n';

function textOf(node: unknown): string {
  if (typeof node === 'string') return node;
  if (Array.isArray(node)) return node.map(textOf).join('');
  if (node && typeof node === 'object' && 'props' in node) return textOf((node as { props: { children?: unknown } }).props.children);
  return '';
}

function CodeBlock({ children, ...rest }: ComponentPropsWithoutRef<'pre'>) {
  const { t } = useI18n();
  const [copied, setCopied] = useState(false);
  const copy = () => {
    void navigator.clipboard?.writeText(textOf(children).replace(/\n$/, '')).then(() => {
      setCopied(true);
      window.setTimeout(() => setCopied(false), 1500);
    });
  };
  return (
    <div className="group/code relative my-3">
      <button
        type="button"
        onClick={copy}
        className="absolute right-2 top-2 inline-flex items-center gap-1 rounded-md border border-white/10 bg-ink-900/90 px-2 py-1 text-[11px] text-slate-300 opacity-90 transition hover:text-white focus:opacity-100 group-hover/code:opacity-100"
        data-testid="code-copy"
      >
        <Icon name={copied ? 'check' : 'copy'} className="h-3.5 w-3.5" />
        {copied ? t('chat.copied') : t('chat.copyCode')}
      </button>
      <pre {...rest} className="overflow-x-auto rounded-xl border border-white/10 bg-ink-950/80 p-3 pr-20 font-mono text-[13px] leading-relaxed text-slate-100">
        {children}
      </pre>
    </div>
  );
}

const COMPONENTS: Components = {
  pre: ({ node: _node, ...props }) => <CodeBlock {...props} />,
  a: ({ node: _node, ...props }) => <a {...props} target="_blank" rel="noopener noreferrer nofollow" className="text-neon-cyan underline underline-offset-2" />,
  table: ({ node: _node, ...props }) => (
    <div className="my-3 overflow-x-auto">
      <table {...props} className="w-full border-collapse text-left text-[13px]" />
    </div>
  ),
  th: ({ node: _node, ...props }) => <th {...props} className="border-b border-white/15 px-2 py-1.5 font-semibold text-slate-100" />,
  td: ({ node: _node, ...props }) => <td {...props} className="border-b border-white/5 px-2 py-1.5" />,
};

export const Markdown = memo(function Markdown({ text }: { text: string }) {
  return (
    <div className="markdown" data-testid="markdown">
      <ReactMarkdown remarkPlugins={[remarkGfm]} rehypePlugins={[rehypeSanitize]} components={COMPONENTS}>
        {text}
      </ReactMarkdown>
    </div>
  );
});
