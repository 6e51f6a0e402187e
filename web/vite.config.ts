import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// The built client reads the API and emulator addresses at run time from /config.json,
// so one build serves any port. `npm run dev` proxies nothing: start `make dev` and open its web address.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    sourcemap: true,
    chunkSizeWarningLimit: 1500,
  },
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx'],
    environment: 'node',
    testTimeout: 20000,
  },
});
