/** What the session page shows about the partner and the session's end, as pure functions. */
import type { ChatMessage, Presence, SessionDoc } from '../data/firestore';

/** Presence older than this without a heartbeat counts as offline (the tab died). */
export const PRESENCE_STALE_MS = 75_000;
export const PRESENCE_HEARTBEAT_MS = 25_000;

export type PartnerState = 'online' | 'offline' | 'left' | 'unknown';

export interface SessionView {
  partnerUid: string | null;
  partnerName: string;
  partnerState: PartnerState;
  partnerText: string;
  /** This user left (the session is over for them). */
  iLeft: boolean;
  /** The session ended for everyone. */
  ended: boolean;
  /** The partner left while this user is still in. */
  partnerLeft: boolean;
  /** Editing, chat and AI are closed. */
  readOnly: boolean;
  /** The text of the ended banner, or null while the session goes on. */
  endedText: string | null;
}

export function isOnline(presence: Presence | undefined, now: number): boolean {
  if (!presence || !presence.online) return false;
  const at = presence.updatedAt?.getTime();
  return at === undefined || now - at < PRESENCE_STALE_MS;
}

export function sessionView(
  session: SessionDoc,
  uid: string,
  presence: Record<string, Presence>,
  now: number,
): SessionView {
  const partnerUid = session.participants.find((p) => p !== uid) ?? null;
  const partnerName = (partnerUid && session.participantInfo[partnerUid]?.username) || 'Your partner';
  const iLeft = session.leftBy.includes(uid);
  const ended = session.status === 'ended';
  const partnerLeft = partnerUid !== null && session.leftBy.includes(partnerUid);
  let partnerState: PartnerState;
  if (partnerLeft) partnerState = 'left';
  else if (!partnerUid) partnerState = 'unknown';
  else if (isOnline(presence[partnerUid], now)) partnerState = 'online';
  else partnerState = presence[partnerUid] ? 'offline' : 'unknown';
  const partnerText = {
    left: `${partnerName} left the session`,
    online: `${partnerName} is online`,
    offline: `${partnerName} is offline`,
    unknown: `Waiting for ${partnerName} to join…`,
  }[partnerState];
  let endedText: string | null = null;
  if (iLeft) {
    endedText = 'You left this session. Your attempt is saved in your history.';
  } else if (ended) {
    endedText =
      session.endReason === 'idle'
        ? 'This session ended after a long time without activity. Your attempt is saved in your history.'
        : 'This session has ended. Your attempt is saved in your history.';
  }
  return {
    partnerUid,
    partnerName,
    partnerState,
    partnerText,
    iLeft,
    ended,
    partnerLeft,
    readOnly: iLeft || ended || partnerLeft,
    endedText,
  };
}

export type ChatCheck = { ok: true; text: string } | { ok: false; reason: string };

/** Trim a chat message and check its size as the rules do (1..1000 characters). */
export function checkChatMessage(raw: string, max = 1000): ChatCheck {
  const text = raw.trim();
  if (text.length === 0) return { ok: false, reason: 'Write something first.' };
  if (text.length > max) return { ok: false, reason: `At most ${max} characters (${text.length} now).` };
  return { ok: true, text };
}

/** The latest answer the AI posted in the chat, if any. */
export function latestAiMessage(messages: readonly ChatMessage[]): ChatMessage | null {
  for (let i = messages.length - 1; i >= 0; i -= 1) {
    const message = messages[i];
    if (message && message.author === 'ai') return message;
  }
  return null;
}

/** The name to show for a chat message's author. */
export function authorName(message: ChatMessage, uid: string, session: SessionDoc | null): string {
  if (message.author === 'ai') return 'AI assistant';
  if (message.author === uid) return 'You';
  return session?.participantInfo[message.author]?.username ?? 'Partner';
}
