import { z } from 'zod';

// The portal's CSP allows no eval; without this zod probes for it with `Function('')`, which
// the browser reports as a CSP violation on every page. Imported first, before any schema.
z.config({ jitless: true });
