/** What the specs read from tests/test_web_e2e.py: the stack's addresses, and ID tokens. */
import { expect } from '@playwright/test';

export function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (run the e2e through tests/test_web_e2e.py)`);
  return value;
}

export const API = required('PEERPREP_API');
const AUTH = required('PEERPREP_AUTH_EMULATOR');

/** A fresh ID token of an account, from the Auth emulator, to call the API as it. */
export async function idToken(email: string, password: string): Promise<string> {
  const response = await fetch(
    `http://${AUTH}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=demo-key`,
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email, password, returnSecureToken: true }),
    },
  );
  expect(response.ok).toBe(true);
  return ((await response.json()) as { idToken: string }).idToken;
}
