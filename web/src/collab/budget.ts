/**
 * The session write budget (firestore.rules): every update, message and presence write of a
 * participant raises its own counter in `sessions/{id}/budgets/{uid}` by exactly one, in the same
 * batched write; updates and messages also name the document paid for, so that one raise pays
 * for one document. Past the limits the rules refuse the write (permission-denied).
 */
import { doc, increment, type Firestore, type WriteBatch } from 'firebase/firestore';

/** Per participant and session, as firestore.rules' `budgetLimits()`. */
export const BUDGET_LIMITS = { updates: 20_000, messages: 1_000, presence: 50_000 } as const;

export type BudgetKind = keyof typeof BUDGET_LIMITS;

const PAID_FIELD: Record<BudgetKind, string | null> = {
  updates: 'lastUpdate',
  messages: 'lastMessage',
  presence: null,
};

/** Add to `batch` the raise of `uid`'s `kind` counter that pays for document `paid`. */
export function spendBudget(
  batch: WriteBatch,
  db: Firestore,
  sessionId: string,
  uid: string,
  kind: BudgetKind,
  paid: string,
): void {
  const field = PAID_FIELD[kind];
  const fields: Record<string, unknown> = { [kind]: increment(1) };
  if (field !== null) fields[field] = paid;
  batch.set(doc(db, 'sessions', sessionId, 'budgets', uid), fields, { merge: true });
}
