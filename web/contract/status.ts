import { z } from 'zod';

/** `GET /readyz`. */
export const readinessResponse = z.object({
  status: z.enum(['ready', 'not_ready']),
  database: z.string(),
  temporal: z.string(),
});
export type ReadinessResponse = z.infer<typeof readinessResponse>;

/** One part of the deployment on the Status page. */
export const statusPart = z.object({
  id: z.string(),
  label: z.string(),
  /** ok: works; off: not configured (the product runs without it); failing: configured, broken. */
  state: z.enum(['ok', 'off', 'failing']),
  /** What is in force, in words (never a secret). */
  detail: z.string(),
  /** What to set to fix or turn it on; null when nothing needs doing. */
  fix: z.string().nullable(),
  /** A page to open for this part (e.g. the Temporal UI), when known. */
  link: z.string().nullable(),
});
export type StatusPart = z.infer<typeof statusPart>;

/** `GET /api/status` (administrators): every part, live probes included. */
export const statusResponse = z.object({ parts: z.array(statusPart) });
export type StatusResponse = z.infer<typeof statusResponse>;
