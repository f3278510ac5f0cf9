import { z } from 'zod';

/** Every error the API sends; `code` is stable, `message` says how to fix it. */
export const errorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
export type ErrorBodyView = z.infer<typeof errorBody>;
