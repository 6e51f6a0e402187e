import { describe, expect, it } from 'vitest';
import { pendingSettled, trackPending } from './pending';

describe('pending requests', () => {
  it('waits for tracked requests, failed ones included', async () => {
    const order: string[] = [];
    let finish!: () => void;
    const slow = trackPending(new Promise<void>((resolve) => (finish = resolve)).then(() => order.push('leave')));
    trackPending(Promise.reject(new Error('refused'))).catch(() => undefined);
    const waiting = pendingSettled().then(() => order.push('history'));
    finish();
    await Promise.all([slow, waiting]);
    expect(order).toEqual(['leave', 'history']);
  });

  it('resolves at once when nothing is under way', async () => {
    await expect(pendingSettled()).resolves.toBeUndefined();
  });
});
