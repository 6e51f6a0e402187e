/**
 * Requests that change what other pages read, still under way when their page goes away: leaving
 * a session records the attempt, so the history (and the active session check) waits for it.
 */
const pending = new Set<Promise<unknown>>();

/** Track a request until it settles; return it unchanged. */
export function trackPending<T>(request: Promise<T>): Promise<T> {
  pending.add(request);
  const forget = () => pending.delete(request);
  request.then(forget, forget);
  return request;
}

/** Resolve once every tracked request has settled (at once when none is under way). */
export async function pendingSettled(): Promise<void> {
  while (pending.size > 0) await Promise.allSettled([...pending]);
}
