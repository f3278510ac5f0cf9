import path from 'node:path';
import { fileURLToPath } from 'node:url';
import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));
// `npm run dev`: Vite serves the portal with hot reload and hands every API path to the
// api role (`npm start`), at DYNAMIQ_API_URL or the default address.
const api = process.env.DYNAMIQ_API_URL ?? 'http://127.0.0.1:3000';
const proxied = ['/api', '/auth', '/healthz', '/readyz'];
// GET /auth/link is the sign-in page itself (this app); its POST and /auth/link/info are the API's.
const bypass = (req: { method?: string; url?: string }) =>
  req.method === 'GET' && req.url?.split('?')[0] === '/auth/link' ? '/index.html' : undefined;

export default defineConfig({
  root: here,
  plugins: [react(), tailwindcss()],
  build: {
    outDir: path.join(here, 'dist'),
    emptyOutDir: true,
    // The server serves /assets/* as immutable: every file there must carry its hash.
    assetsDir: 'assets',
    sourcemap: false,
  },
  server: {
    port: 5173,
    strictPort: true,
    proxy: Object.fromEntries(
      proxied.map((p) => [p, { target: api, changeOrigin: false, bypass }]),
    ),
  },
});
