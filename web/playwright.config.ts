import { existsSync } from 'node:fs';
import { defineConfig } from '@playwright/test';

// The browser is Debian's chromium (no download: PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1); the stack
// to test is named by the environment (tests/test_web_e2e.py starts one and sets these).
const chromium =
  process.env.CHROMIUM_PATH ?? ['/usr/lib/chromium/chromium', '/usr/bin/chromium'].find((path) => existsSync(path));

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results/artifacts',
  timeout: 120_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: true,
  reporter: [['list']],
  use: {
    baseURL: process.env.PEERPREP_WEB_URL,
    browserName: 'chromium',
    viewport: { width: 1366, height: 820 },
    launchOptions: {
      ...(chromium ? { executablePath: chromium } : {}),
      // Root (CI) cannot use the sandbox.
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    },
    actionTimeout: 15_000,
    navigationTimeout: 30_000,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
  },
});
