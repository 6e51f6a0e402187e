import { describe, expect, it } from 'vitest';
import type { ChatMessage, Presence, SessionDoc } from '../data/firestore';
import { authorName, checkChatMessage, isOnline, latestAiMessage, PRESENCE_STALE_MS, sessionView } from './session';

const NOW = Date.parse('2026-01-01T10:00:00Z');

function session(overrides: Partial<SessionDoc> = {}): SessionDoc {
  return {
    id: 's1',
    participants: ['me', 'bob'],
    participantInfo: { me: { username: 'alice' }, bob: { username: 'bob' } },
    language: 'python',
    status: 'active',
    leftBy: [],
    endedAt: null,
    endReason: null,
    submission: null,
    ...overrides,
  };
}

function presence(online: boolean, agoMs = 1000): Presence {
  return { uid: 'bob', online, cursor: 3, selection: null, updatedAt: new Date(NOW - agoMs) };
}

function message(id: string, author: string, text = 't'): ChatMessage {
  return { id, author, text, createdAt: new Date(NOW), mode: null, requestedBy: null, pending: false };
}

describe('sessionView', () => {
  it('shows the partner online from a fresh presence', () => {
    const view = sessionView(session(), 'me', { bob: presence(true) }, NOW);
    expect(view).toMatchObject({ partnerState: 'online', partnerText: 'bob is online', readOnly: false, endedText: null });
  });

  it('counts a stale or offline presence as offline, and no presence as not joined yet', () => {
    expect(sessionView(session(), 'me', { bob: presence(true, PRESENCE_STALE_MS + 1) }, NOW).partnerState).toBe('offline');
    expect(sessionView(session(), 'me', { bob: presence(false) }, NOW).partnerText).toBe('bob is offline');
    expect(sessionView(session(), 'me', {}, NOW).partnerText).toBe('Waiting for bob to join…');
  });

  it('says the partner left and closes the editor', () => {
    const view = sessionView(session({ leftBy: ['bob'] }), 'me', { bob: presence(true) }, NOW);
    expect(view).toMatchObject({ partnerState: 'left', partnerText: 'bob left the session', partnerLeft: true, readOnly: true });
    expect(view.endedText).toBeNull();
  });

  it('tells the one who left, and both once the session ended', () => {
    expect(sessionView(session({ leftBy: ['me'] }), 'me', {}, NOW)).toMatchObject({ iLeft: true, readOnly: true });
    expect(sessionView(session({ leftBy: ['me'] }), 'me', {}, NOW).endedText).toContain('You left');
    const ended = sessionView(session({ status: 'ended', leftBy: ['me', 'bob'] }), 'bob', {}, NOW);
    expect(ended).toMatchObject({ ended: true, readOnly: true, partnerState: 'left' });
    expect(sessionView(session({ status: 'ended', endReason: 'idle' }), 'me', {}, NOW).endedText).toContain('without activity');
  });
});

describe('isOnline', () => {
  it('trusts a pending (null) timestamp', () => {
    expect(isOnline({ ...presence(true), updatedAt: null }, NOW)).toBe(true);
    expect(isOnline(undefined, NOW)).toBe(false);
  });
});

describe('chat', () => {
  it('trims and checks the size as the rules do', () => {
    expect(checkChatMessage('  hi  ')).toEqual({ ok: true, text: 'hi' });
    expect(checkChatMessage('   ').ok).toBe(false);
    expect(checkChatMessage('x'.repeat(1000)).ok).toBe(true);
    expect(checkChatMessage('x'.repeat(1001))).toEqual({ ok: false, reason: 'At most 1000 characters (1001 now).' });
  });

  it('finds the latest AI answer and names authors', () => {
    const messages = [message('1', 'ai', 'old'), message('2', 'bob'), message('3', 'ai', 'new'), message('4', 'me')];
    expect(latestAiMessage(messages)?.text).toBe('new');
    expect(latestAiMessage([message('1', 'me')])).toBeNull();
    expect(messages.map((m) => authorName(m, 'me', session()))).toEqual(['AI assistant', 'bob', 'AI assistant', 'You']);
  });
});
