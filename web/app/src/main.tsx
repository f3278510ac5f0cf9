import './zod-config.js';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { Router } from './router.js';
import { SessionProvider } from './session.js';
import './styles.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Router>
      <SessionProvider signingIn={window.location.pathname === '/auth/link'}>
        <App />
      </SessionProvider>
    </Router>
  </StrictMode>,
);
