import type { FastifyInstance } from 'fastify';
import type { ServerDeps } from '../deps.js';

/**
 * Liveness (the process answers) and readiness (database and Temporal answer). Both are
 * unauthenticated (load balancers, compose), so a failing part says only `unavailable`; why is
 * in the server log and on the administrators' status page (GET /api/status), because a
 * driver's message can name hosts, users or paths.
 */
export async function healthRoutes(
  app: FastifyInstance,
  deps: Pick<ServerDeps, 'db' | 'temporal' | 'log' | 'discordGateway' | 'teams'>,
): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const [dbProbe, temporalProbe] = await Promise.all([
      probe(() => deps.db.$queryRaw`SELECT 1`),
      probe(() => deps.temporal.connection.workflowService.getSystemInfo({})),
    ]);
    if (dbProbe !== 'ok' || temporalProbe !== 'ok')
      deps.log.warn({ database: dbProbe, temporal: temporalProbe }, 'not ready');
    const shown = (result: string) => (result === 'ok' ? 'ok' : 'unavailable');
    const database = shown(dbProbe);
    const temporal = shown(temporalProbe);
    const ready = database === 'ok' && temporal === 'ok';
    // Said, not counted: Discord being unreachable never takes the rest of Dynamiq out of service.
    const gateway = deps.discordGateway?.().state;
    const discord = gateway === undefined ? {} : { discord: gateway === 'ready' ? 'ok' : gateway };
    return reply.status(ready ? 200 : 503).send({
      status: ready ? 'ready' : 'not_ready',
      database,
      temporal,
      ...discord,
      // Likewise Teams: Microsoft's keys out of reach refuses Teams activities, nothing else.
      ...(deps.teams ? { teams: deps.teams.status() } : {}),
    });
  });
}

/** Runs a check with a timeout: 'ok', or what went wrong in words. */
export async function probe(fn: () => Promise<unknown>, timeoutMs = 2000): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return 'ok';
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    clearTimeout(timer);
  }
}
