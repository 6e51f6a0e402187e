/** Untrusted Markdown (questions, chat, AI answers): no raw HTML, safe links only. */
import ReactMarkdown, { defaultUrlTransform } from 'react-markdown';

export function Markdown({ children, className }: { children: string; className?: string }) {
  return (
    <div className={className ? `markdown ${className}` : 'markdown'}>
      <ReactMarkdown
        skipHtml
        urlTransform={defaultUrlTransform}
        components={{
          a: ({ href, children: text }) => (
            <a href={href} target="_blank" rel="noopener noreferrer nofollow">
              {text}
            </a>
          ),
          img: ({ alt }) => <span className="md-image-alt">{alt ? `[image: ${alt}]` : '[image]'}</span>,
        }}
      >
        {children}
      </ReactMarkdown>
    </div>
  );
}
