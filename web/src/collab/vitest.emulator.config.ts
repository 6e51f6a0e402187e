import { defineConfig } from 'vitest/config';

// The provider against the Firestore emulator (seconds, needs Java), apart from the unit tests:
//   npx vitest run --config src/collab/vitest.emulator.config.ts
export default defineConfig({
  test: {
    include: ['src/collab/**/*.emulator.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
