/** Small building blocks: notices, spinners, the page frame. */
import type { ReactNode } from 'react';
import type { Tone } from '../logic/match';

export function Notice({
  tone = 'info',
  title,
  children,
  testId,
  role,
}: {
  tone?: Tone;
  title?: ReactNode;
  children?: ReactNode;
  testId?: string;
  role?: 'status' | 'alert';
}) {
  return (
    <div className={`notice notice-${tone}`} data-testid={testId} role={role ?? (tone === 'error' ? 'alert' : 'status')}>
      {title && <strong className="notice-title">{title}</strong>}
      {children && <div className="notice-body">{children}</div>}
    </div>
  );
}

export function Spinner({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="spinner-row" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

export function PageTitle({ children, aside }: { children: ReactNode; aside?: ReactNode }) {
  return (
    <div className="page-title">
      <h1>{children}</h1>
      {aside}
    </div>
  );
}

export function DifficultyBadge({ difficulty }: { difficulty: string }) {
  return <span className={`badge badge-${difficulty}`}>{difficulty}</span>;
}
