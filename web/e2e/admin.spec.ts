/**
 * An admin edits a judged question in the browser: the form shows each example's test (its
 * arguments and expected answer), and saving an edit keeps them. Run by tests/test_web_e2e.py,
 * which creates the admin account and names the question.
 */
import { expect, test } from '@playwright/test';
import path from 'node:path';
import { API, idToken, required } from './env';

const EMAIL = required('PEERPREP_E2E_ADMIN_EMAIL');
const PASSWORD = required('PEERPREP_E2E_ADMIN_PASSWORD');
const QUESTION_ID = required('PEERPREP_E2E_QUESTION_ID');
const SHOTS = path.resolve(process.env.PEERPREP_E2E_SHOTS ?? 'test-results/journey');

interface Example {
  input: string;
  output: string;
  explanation: string | null;
  test: { args: string; expected: string } | null;
}

async function token(): Promise<string> {
  return idToken(EMAIL, PASSWORD);
}

async function examples(): Promise<Example[]> {
  const response = await fetch(`${API}/questions/${QUESTION_ID}`, {
    headers: { Authorization: `Bearer ${await token()}` },
  });
  expect(response.ok).toBe(true);
  return ((await response.json()) as { examples: Example[] }).examples;
}

test('an admin edits a judged question and its examples keep their tests', async ({ page }) => {
  const before = await examples();
  const first = before[0];
  expect(first?.test).not.toBeNull();

  await page.goto('/');
  await page.getByTestId('auth-email').fill(EMAIL);
  await page.getByTestId('auth-password').fill(PASSWORD);
  await page.getByTestId('auth-submit').click();
  await expect(page.getByTestId('match-difficulty')).toBeVisible();

  await page.goto(`/admin/questions/${QUESTION_ID}`);
  const args = page.getByLabel('Test arguments 1', { exact: false });
  await expect(args).toHaveValue(first?.test?.args ?? '');
  await expect(page.getByLabel('Expected answer 1', { exact: false })).toHaveValue(first?.test?.expected ?? '');
  const explanation = page.getByLabel('Explanation (optional)').first();
  await explanation.fill('Edited in the browser.');
  await args.scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(SHOTS, 'admin-edit-question.png') });
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page).toHaveURL(/\/admin\/questions$/);

  const after = await examples();
  expect(after[0]?.explanation).toBe('Edited in the browser.');
  expect(after.map((example) => example.test)).toEqual(before.map((example) => example.test));

  // Put the question back as it was, for the other tests of the stack.
  const restored = await fetch(`${API}/questions/${QUESTION_ID}`, {
    method: 'PATCH',
    headers: { Authorization: `Bearer ${await token()}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ examples: before }),
  });
  expect(restored.ok).toBe(true);
});
