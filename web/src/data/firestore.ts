/**
 * Every Firestore listener and write of the client, in one place. Each `listen*` returns its
 * unsubscribe; hooks (src/hooks) own their lifetimes and no component calls Firestore itself.
 * Documents are converted here to plain objects with `Date`s, so UI logic stays pure.
 */
import {
  collection,
  doc,
  limitToLast,
  onSnapshot,
  orderBy,
  query,
  serverTimestamp,
  Timestamp,
  writeBatch,
  type DocumentData,
  type Firestore,
  type Unsubscribe,
} from 'firebase/firestore';
import type { Difficulty, Language } from '../api/client';
import { spendBudget } from '../collab/budget';

export type MatchStatus = 'waiting' | 'matched' | 'cancelled' | 'timed_out';

export interface MatchRequestDoc {
  requestId: string;
  status: MatchStatus;
  difficulty: Difficulty;
  topics: string[];
  language: Language;
  relaxed: boolean;
  createdAt: Date | null;
  relaxAt: Date | null;
  expiresAt: Date | null;
  endedAt: Date | null;
  sessionId: string | null;
  partner: { uid: string; username: string } | null;
  /** Why a request timed out: nobody compatible, or no question fits both. */
  reason: 'no_partner' | 'no_question' | null;
  reasonMessage: string | null;
}

export interface SessionDoc {
  id: string;
  participants: string[];
  participantInfo: Record<string, { username: string }>;
  language: Language;
  status: 'active' | 'ended';
  leftBy: string[];
  endedAt: Date | null;
  endReason: string | null;
  submission: SubmissionSummary | null;
}

/** The verdict of the session's latest submission (`sessions/{id}.submission`). */
export interface SubmissionSummary {
  verdict: string;
  passed: number;
  total: number;
  submittedBy: string;
}

/** One judged test of a submission; hidden tests carry only their verdict, time and memory. */
export interface TestOutcome {
  index: number;
  hidden: boolean;
  verdict: string;
  timeMs: number | null;
  message: string | null;
  args: string | null;
  expected: string | null;
  actual: string | null;
  stdout: string | null;
  stderr: string | null;
}

/** A run of the session's code (`sessions/{id}/runs/{runId}`), as both partners see it. */
export interface RunDoc {
  id: string;
  kind: 'run' | 'submit';
  author: string;
  language: Language;
  status: 'queued' | 'running' | 'done';
  verdict: string | null;
  stdin: string;
  stdout: string;
  stderr: string;
  compileOutput: string;
  exitCode: number | null;
  timeMs: number | null;
  memoryKb: number | null;
  tests: TestOutcome[];
  passed: number | null;
  total: number | null;
  createdAt: Date | null;
}

export interface ChatMessage {
  id: string;
  author: string;
  text: string;
  createdAt: Date | null;
  mode: string | null;
  requestedBy: string | null;
  pending: boolean;
}

export interface Selection {
  anchor: number;
  head: number;
}

export interface Presence {
  uid: string;
  online: boolean;
  cursor: number | null;
  selection: Selection | null;
  updatedAt: Date | null;
}

export interface SnapshotState {
  /** The data came from the local cache: the server has not confirmed it (offline?). */
  fromCache: boolean;
}

export const MESSAGE_MAX_CHARS = 1000;
const MESSAGES_SHOWN = 300;
const RUNS_SHOWN = 5;

function toDate(value: unknown): Date | null {
  if (value instanceof Timestamp) return value.toDate();
  if (value instanceof Date) return value;
  return null;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function int(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? Math.trunc(value) : null;
}

export function toMatchRequest(data: DocumentData): MatchRequestDoc {
  const partner = data.partner as { uid?: unknown; username?: unknown } | null | undefined;
  return {
    requestId: String(data.requestId ?? ''),
    status: data.status as MatchStatus,
    difficulty: data.difficulty as Difficulty,
    topics: strings(data.topics),
    language: data.language as Language,
    relaxed: Boolean(data.relaxed),
    createdAt: toDate(data.createdAt),
    relaxAt: toDate(data.relaxAt),
    expiresAt: toDate(data.expiresAt),
    endedAt: toDate(data.endedAt),
    sessionId: str(data.sessionId),
    partner:
      partner && typeof partner.uid === 'string'
        ? { uid: partner.uid, username: String(partner.username ?? '') }
        : null,
    reason: data.reason === 'no_partner' || data.reason === 'no_question' ? data.reason : null,
    reasonMessage: str(data.reasonMessage),
  };
}

export function toSession(id: string, data: DocumentData): SessionDoc {
  const info: Record<string, { username: string }> = {};
  const rawInfo = (data.participantInfo ?? {}) as Record<string, { username?: unknown }>;
  for (const [uid, value] of Object.entries(rawInfo)) {
    info[uid] = { username: String(value?.username ?? 'partner') };
  }
  return {
    id,
    participants: strings(data.participants),
    participantInfo: info,
    language: data.language as Language,
    status: data.status === 'ended' ? 'ended' : 'active',
    leftBy: strings(data.leftBy),
    endedAt: toDate(data.endedAt),
    endReason: str(data.endReason),
    submission: toSubmission(data.submission),
  };
}

function toSubmission(value: unknown): SubmissionSummary | null {
  if (typeof value !== 'object' || value === null) return null;
  const data = value as Record<string, unknown>;
  const verdict = str(data.verdict);
  if (verdict === null) return null;
  return { verdict, passed: int(data.passed) ?? 0, total: int(data.total) ?? 0, submittedBy: String(data.submittedBy ?? '') };
}

function toTests(value: unknown): TestOutcome[] {
  if (!Array.isArray(value)) return [];
  return value
    .filter((item): item is Record<string, unknown> => typeof item === 'object' && item !== null)
    .map((item) => ({
      index: int(item.index) ?? 0,
      hidden: item.hidden === true,
      verdict: String(item.verdict ?? 'skipped'),
      timeMs: int(item.timeMs),
      message: str(item.message),
      args: str(item.args),
      expected: str(item.expected),
      actual: str(item.actual),
      stdout: str(item.stdout),
      stderr: str(item.stderr),
    }));
}

function toSelection(value: unknown): Selection | null {
  if (typeof value !== 'object' || value === null) return null;
  const anchor = int((value as { anchor?: unknown }).anchor);
  const head = int((value as { head?: unknown }).head);
  return anchor !== null && head !== null ? { anchor, head } : null;
}

/** Listen to one's own match request (`matchRequests/{uid}`); `null` when there is none. */
export function listenMatchRequest(
  db: Firestore,
  uid: string,
  onData: (request: MatchRequestDoc | null) => void,
  onError: (error: Error) => void,
): Unsubscribe {
  return onSnapshot(
    doc(db, 'matchRequests', uid),
    (snapshot) => onData(snapshot.exists() ? toMatchRequest(snapshot.data()) : null),
    onError,
  );
}

/** Listen to a session document (status, leftBy), with whether the data is only cached. */
export function listenSession(
  db: Firestore,
  sessionId: string,
  onData: (session: SessionDoc | null, state: SnapshotState) => void,
  onError: (error: Error) => void,
): Unsubscribe {
  return onSnapshot(
    doc(db, 'sessions', sessionId),
    { includeMetadataChanges: true },
    (snapshot) =>
      onData(snapshot.exists() ? toSession(snapshot.id, snapshot.data()) : null, {
        fromCache: snapshot.metadata.fromCache,
      }),
    onError,
  );
}

/** Listen to a session's chat, oldest first (the latest messages only). */
export function listenMessages(
  db: Firestore,
  sessionId: string,
  onData: (messages: ChatMessage[]) => void,
  onError: (error: Error) => void,
): Unsubscribe {
  const messages = query(
    collection(db, 'sessions', sessionId, 'messages'),
    orderBy('createdAt'),
    limitToLast(MESSAGES_SHOWN),
  );
  return onSnapshot(
    messages,
    (snapshot) =>
      onData(
        snapshot.docs.map((item) => {
          const data = item.data({ serverTimestamps: 'estimate' });
          return {
            id: item.id,
            author: String(data.author ?? ''),
            text: String(data.text ?? ''),
            createdAt: toDate(data.createdAt),
            mode: str(data.mode),
            requestedBy: str(data.requestedBy),
            pending: item.metadata.hasPendingWrites,
          };
        }),
      ),
    onError,
  );
}

/** Listen to a session's latest runs, newest last. */
export function listenRuns(
  db: Firestore,
  sessionId: string,
  onData: (runs: RunDoc[]) => void,
  onError: (error: Error) => void,
): Unsubscribe {
  const runs = query(collection(db, 'sessions', sessionId, 'runs'), orderBy('createdAt'), limitToLast(RUNS_SHOWN));
  return onSnapshot(
    runs,
    (snapshot) =>
      onData(
        snapshot.docs.map((item) => {
          const data = item.data();
          return {
            id: item.id,
            kind: data.kind === 'submit' ? 'submit' : 'run',
            author: String(data.author ?? ''),
            language: data.language as Language,
            status: data.status === 'done' || data.status === 'running' ? data.status : 'queued',
            verdict: str(data.verdict),
            stdin: String(data.stdin ?? ''),
            stdout: String(data.stdout ?? ''),
            stderr: String(data.stderr ?? ''),
            compileOutput: String(data.compileOutput ?? ''),
            exitCode: int(data.exitCode),
            timeMs: int(data.timeMs),
            memoryKb: int(data.memoryKb),
            tests: toTests(data.tests),
            passed: int(data.passed),
            total: int(data.total),
            createdAt: toDate(data.createdAt),
          };
        }),
      ),
    onError,
  );
}

/** Listen to the participants' presence documents, keyed by uid. */
export function listenPresence(
  db: Firestore,
  sessionId: string,
  onData: (presence: Record<string, Presence>) => void,
  onError: (error: Error) => void,
): Unsubscribe {
  return onSnapshot(
    collection(db, 'sessions', sessionId, 'presence'),
    (snapshot) => {
      const all: Record<string, Presence> = {};
      for (const item of snapshot.docs) {
        const data = item.data({ serverTimestamps: 'estimate' });
        all[item.id] = {
          uid: item.id,
          online: Boolean(data.online),
          cursor: int(data.cursor),
          selection: toSelection(data.selection),
          updatedAt: toDate(data.updatedAt),
        };
      }
      onData(all);
    },
    onError,
  );
}

/**
 * Post a chat message as oneself (the rules want exactly author, text, createdAt), paying one
 * message of one's write budget in the same batch.
 */
export async function sendChatMessage(
  db: Firestore,
  sessionId: string,
  uid: string,
  text: string,
): Promise<void> {
  const target = doc(collection(db, 'sessions', sessionId, 'messages'));
  const batch = writeBatch(db);
  batch.set(target, { author: uid, text, createdAt: serverTimestamp() });
  spendBudget(batch, db, sessionId, uid, 'messages', target.id);
  await batch.commit();
}

/**
 * Write one's own presence: online, and where one's cursor and selection are, paying one
 * presence write of one's write budget in the same batch.
 */
export async function writePresence(
  db: Firestore,
  sessionId: string,
  uid: string,
  presence: { online: boolean; selection?: Selection | null },
): Promise<void> {
  const fields: Record<string, unknown> = { online: presence.online, updatedAt: serverTimestamp() };
  if (presence.selection) {
    fields.cursor = presence.selection.head;
    fields.selection = { anchor: presence.selection.anchor, head: presence.selection.head };
  }
  const batch = writeBatch(db);
  batch.set(doc(db, 'sessions', sessionId, 'presence', uid), fields, { merge: true });
  spendBudget(batch, db, sessionId, uid, 'presence', uid);
  await batch.commit();
}
