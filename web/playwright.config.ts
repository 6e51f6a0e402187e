import { existsSync } from 'node:fs';
import { defineConfig } from '@playwright/test';

// The browser is Debian's chromium (no download: PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1); the stack
// to test is named by the environment (tests/test_web_e2e.py starts one and sets these).
const chromium =
  process.env.CHROMIUM_PATH ?? ['/usr/lib/chromium/chromium', '/usr/bin/chromium'].find((path) => existsSync(path));

// The journey runs at a laptop's size; PEERPREP_E2E_VIEWPORT=390x844 runs it at a phone's, to look
// at the screenshots of a narrow screen.
const size = /^(\d+)x(\d+)$/.exec(process.env.PEERPREP_E2E_VIEWPORT ?? '1366x820');
if (size === null) throw new Error('PEERPREP_E2E_VIEWPORT must be WIDTHxHEIGHT, such as 390x844');
const [width, height] = [Number(size[1]), Number(size[2])];

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
    viewport: { width, height },
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
