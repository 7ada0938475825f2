import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The window's page: built into dist/renderer and served from Berth's own app:// origin (relative paths).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: fileURLToPath(new URL('../dist/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'chrome120',
    // The CSP allows no inline script, and the app needs no polyfill for module preloading.
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
});
