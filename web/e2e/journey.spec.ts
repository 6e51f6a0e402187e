/**
 * The whole journey, as two people in two browser contexts: sign up, create profiles, match,
 * edit the same code at once, reload, chat, ask for a hint, leave, see the history.
 * Run by tests/test_web_e2e.py against a local stack (with a fake Gemini for the hint).
 */
import { expect, test, type Browser, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { API, idToken } from './env';

const HINT_TEXT = process.env.PEERPREP_E2E_HINT ?? 'Think about which numbers you have already seen.';
const SHOTS = path.resolve(process.env.PEERPREP_E2E_SHOTS ?? 'test-results/journey');
const PASSWORD = 'correct-horse-42';

interface Person {
  name: string;
  email: string;
  username: string;
  page: Page;
}

let step = 0;
async function shoot(label: string, ...people: Person[]): Promise<void> {
  step += 1;
  for (const person of people) {
    await person.page.screenshot({
      path: path.join(SHOTS, `${String(step).padStart(2, '0')}-${label}-${person.name}.png`),
      fullPage: false,
    });
  }
}

async function newPerson(browser: Browser, name: string, suffix: string): Promise<Person> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (error) => console.log(`[${name}] page error: ${error.message}`));
  return { name, email: `${name}-${suffix}@example.com`, username: `${name}_${suffix}`.slice(0, 20), page };
}

async function signUp(person: Person): Promise<void> {
  const { page } = person;
  await page.goto('/');
  await page.getByTestId('auth-mode').click();
  await expect(page.getByRole('heading', { name: 'Create your account' })).toBeVisible();
  await page.getByTestId('auth-email').fill(person.email);
  await page.getByTestId('auth-password').fill(PASSWORD);
  await page.getByTestId('auth-submit').click();
  await page.getByTestId('profile-username').fill(person.username);
  await page.getByTestId('profile-submit').click();
  await expect(page.getByTestId('match-difficulty')).toBeVisible();
}

async function chooseCriteria(person: Person): Promise<void> {
  const { page } = person;
  await page.getByTestId('match-difficulty').selectOption('easy');
  await page.getByTestId('match-language').selectOption('python');
  await page.getByTestId('match-topic-arrays').check();
}

/** The editor's text, line by line as CodeMirror renders it (the doc is short: all lines show). */
async function editorText(page: Page): Promise<string> {
  return page.locator('[data-testid="editor"] .cm-content').evaluate((content) =>
    Array.from(content.querySelectorAll(':scope > .cm-line'))
      .map((line) => line.textContent ?? '')
      .join('\n'),
  );
}

async function serverCode(sessionId: string, token: string): Promise<string> {
  const response = await fetch(`${API}/sessions/${sessionId}`, { headers: { Authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  return ((await response.json()) as { code: string }).code;
}

test('two people practise together from sign-up to history', async ({ browser }) => {
  mkdirSync(SHOTS, { recursive: true });
  const suffix = Date.now().toString(36).slice(-6);
  const alice = await newPerson(browser, 'alice', suffix);
  const bob = await newPerson(browser, 'bob', suffix);

  // Sign up and create profiles, side by side.
  await Promise.all([signUp(alice), signUp(bob)]);
  await Promise.all([chooseCriteria(alice), chooseCriteria(bob)]);
  await shoot('match-form', alice, bob);

  // Match: both ask at once; each page opens the session by itself.
  await Promise.all([alice.page.getByTestId('match-start').click(), bob.page.getByTestId('match-start').click()]);
  await Promise.all(
    [alice, bob].map((person) => person.page.waitForURL(/\/session\/[^/]+$/, { timeout: 30_000 })),
  );
  const sessionId = alice.page.url().split('/session/')[1] ?? '';
  expect(sessionId).not.toBe('');
  expect(bob.page.url()).toContain(`/session/${sessionId}`);
  for (const { page } of [alice, bob]) {
    await expect(page.getByTestId('session-question-title')).not.toBeEmpty();
    await expect(page.locator('[data-testid="editor"] .cm-content')).toBeVisible();
    await expect(page.getByTestId('language-select')).toHaveValue('python');
  }
  await expect(alice.page.getByTestId('partner-status')).toContainText(`${bob.username} is online`);
  await expect(bob.page.getByTestId('partner-status')).toContainText(`${alice.username} is online`);
  await shoot('session-opened', alice, bob);

  // Both type at the same time, at the end of the code; the texts converge.
  const typing = async (person: Person, line: string) => {
    const content = person.page.locator('[data-testid="editor"] .cm-content');
    await content.click();
    await person.page.keyboard.press('Control+End');
    await person.page.keyboard.press('Enter');
    await person.page.keyboard.type(line, { delay: 15 });
  };
  const aliceLine = `# alice-${suffix} was here`;
  const bobLine = `# bob-${suffix} was here too`;
  await Promise.all([typing(alice, aliceLine), typing(bob, bobLine)]);
  await expect
    .poll(async () => {
      const [a, b] = await Promise.all([editorText(alice.page), editorText(bob.page)]);
      return a === b && a.includes(aliceLine) && b.includes(bobLine);
    }, { timeout: 20_000 })
    .toBe(true);
  const converged = await editorText(alice.page);
  const token = await idToken(alice.email, PASSWORD);
  await expect.poll(() => serverCode(sessionId, token), { timeout: 15_000 }).toBe(converged);
  await shoot('edited-together', alice, bob);

  // Bob reloads: the session and its text are still there.
  await bob.page.reload();
  await expect(bob.page.locator('[data-testid="editor"] .cm-content')).toBeVisible();
  await expect.poll(() => editorText(bob.page), { timeout: 15_000 }).toBe(converged);
  await shoot('after-reload', bob);

  // Chat, both ways.
  await alice.page.getByTestId('chat-input').fill(`Hello Bob ${suffix}`);
  await alice.page.getByTestId('chat-send').click();
  await expect(bob.page.getByTestId('chat-message').filter({ hasText: `Hello Bob ${suffix}` })).toBeVisible();
  await bob.page.getByTestId('chat-input').fill(`Hi Alice ${suffix}`);
  await bob.page.getByTestId('chat-input').press('Enter');
  await expect(alice.page.getByTestId('chat-message').filter({ hasText: `Hi Alice ${suffix}` })).toBeVisible();
  await shoot('chat', alice, bob);

  // Alice asks for a hint: she sees it stream; both see the answer (it lands in the chat).
  await alice.page.getByTestId('ai-hint').click();
  await expect(alice.page.getByTestId('ai-answer')).toContainText(HINT_TEXT, { timeout: 30_000 });
  await expect(bob.page.getByTestId('ai-answer')).toContainText(HINT_TEXT);
  await expect(bob.page.getByTestId('chat-message').filter({ hasText: HINT_TEXT })).toBeVisible();
  await shoot('hint', alice, bob);

  // Bob runs the shared code: both see the run's outcome.
  await bob.page.getByTestId('run-code').click();
  await expect(bob.page.getByTestId('run-result')).toContainText('Ran without error', { timeout: 30_000 });
  await expect(alice.page.getByTestId('run-result')).toContainText('Ran without error');
  await shoot('run', alice, bob);

  // Alice submits the unfinished code: both see it judged on the question's tests, failing.
  await alice.page.getByTestId('submit-code').click();
  for (const { page } of [alice, bob]) {
    await expect(page.getByTestId('run-result')).toContainText('tests passed', { timeout: 60_000 });
    await expect(page.getByTestId('run-result')).toContainText(/Wrong answer|Runtime error/);
    await expect(page.getByTestId('run-result')).toContainText('Example 1');
  }
  await shoot('submit', alice, bob);

  // Alice switches the language: the code was edited, so it stays; both see Java.
  await alice.page.getByTestId('language-select').selectOption('java');
  await expect(bob.page.getByTestId('language-select')).toHaveValue('java', { timeout: 15_000 });
  await expect.poll(() => editorText(bob.page), { timeout: 15_000 }).toBe(converged);

  // Alice leaves: Bob sees it. Bob goes straight to his history, which already has the session
  // (his page saved his attempt when Alice left); back on the session, it has ended.
  await alice.page.getByTestId('session-leave').click();
  await expect(alice.page.getByTestId('session-ended')).toBeVisible();
  await expect(bob.page.getByTestId('partner-status')).toContainText('left');
  await shoot('left', alice, bob);
  await bob.page.getByTestId('nav-history').click();
  await expect(bob.page.getByTestId('history-item').first()).toContainText(alice.username);
  await expect(bob.page.getByTestId('history-item').first()).toContainText(/Verdict\s*(Wrong answer|Runtime error)/i);
  await bob.page.goBack();
  await expect(bob.page.getByTestId('session-ended')).toBeVisible();
  await expect(bob.page.getByTestId('partner-status')).toContainText(`${alice.username} left`);
  await expect(bob.page.locator('[data-testid="editor"] .cm-content')).toHaveAttribute('contenteditable', 'false');
  await expect.poll(() => editorText(bob.page)).toBe(converged);
  await shoot('ended', bob);

  // Both histories show the session, with the partner and the question.
  const title = (await alice.page.getByTestId('session-question-title').textContent()) ?? '';
  for (const [person, partner] of [
    [alice, bob],
    [bob, alice],
  ] as const) {
    await person.page.getByTestId('nav-history').click();
    const item = person.page.getByTestId('history-item').first();
    await expect(item).toContainText(partner.username);
    await expect(item).toContainText(title);
  }
  await shoot('history', alice, bob);

  // Signing out returns to the sign-in page.
  await alice.page.getByTestId('sign-out').click();
  await expect(alice.page.getByTestId('auth-email')).toBeVisible();
});
