/** Formatting of times and durations for people. */

/** `1:05` for 65 000 ms; never negative. */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  return `${minutes}:${String(seconds).padStart(2, '0')}`;
}

/** `45 s`, `12 min`, `1 h 05 min` for a duration in seconds. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.round(s / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** A date and time in the reader's locale, e.g. `29 Nov 2026, 15:04`. */
export function formatDateTime(value: string | Date, locale?: string): string {
  const date = typeof value === 'string' ? new Date(value) : value;
  if (Number.isNaN(date.getTime())) return '';
  return date.toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' });
}

/** A clock time, e.g. `15:04`. */
export function formatTime(value: Date, locale?: string): string {
  return value.toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });
}

const VERDICT_LABELS: Record<string, string> = {
  accepted: 'Ran without error',
  wrong_answer: 'Wrong answer',
  compile_error: 'Compile error',
  runtime_error: 'Runtime error',
  time_limit: 'Time limit exceeded',
  memory_limit: 'Memory limit exceeded',
  output_limit: 'Output limit exceeded',
  runner_error: 'The runner failed',
  skipped: 'Not run',
};

/** A run's or submission's verdict for people: a run that ends well "ran", a submission is "Accepted". */
export function verdictLabel(verdict: string, kind: 'run' | 'submit'): string {
  if (verdict === 'accepted' && kind === 'submit') return 'Accepted';
  return VERDICT_LABELS[verdict] ?? verdict.replace(/_/g, ' ');
}
