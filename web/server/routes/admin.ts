import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  adminUsersResponse,
  budgetBody,
  budgetParams,
  budgetsResponse,
  channelPoliciesResponse,
  channelPolicyBody,
  channelPolicyParams,
  integrationPoliciesResponse,
  integrationPolicyBody,
  integrationPolicyParams,
} from '../../contract/index.js';
import type { BudgetView, ChannelPolicyView, PolicyModeName } from '../../contract/index.js';
import type { Db } from '../../../lib/db/index.js';
import { HttpError } from '../errors.js';

/** What these routes need; `ServerDeps` provides it. */
export interface AdminRouteDeps {
  db: Db;
  /** Catalog ids an integration policy may name. */
  integrationIds: ReadonlySet<string>;
}

type DbMode = 'ask_writes' | 'ask_all' | 'auto';
const toDb = (m: PolicyModeName): DbMode =>
  m === 'ask-writes' ? 'ask_writes' : m === 'ask-all' ? 'ask_all' : 'auto';
const fromDb = (m: DbMode): PolicyModeName =>
  m === 'ask_writes' ? 'ask-writes' : m === 'ask_all' ? 'ask-all' : 'auto';

function requireAdmin(request: FastifyRequest): void {
  if (request.user.role !== 'admin')
    throw new HttpError(403, 'forbidden', 'Only an administrator manages budgets and policies.');
}

const budgetView = (b: {
  scope: 'user' | 'channel';
  subject: string;
  tokensPerDay: number | null;
  costUsdPerDay: number | null;
  updatedAt: Date;
}): BudgetView => ({ ...b, updatedAt: b.updatedAt.toISOString() });

const channelView = (p: {
  channelKey: string;
  mode: DbMode | null;
  restrictIntegrations: boolean;
  allowedIntegrations: string[];
  approverUserIds: string[];
  updatedAt: Date;
}): ChannelPolicyView => ({
  ...p,
  mode: p.mode ? fromDb(p.mode) : null,
  updatedAt: p.updatedAt.toISOString(),
});

/**
 * The agent's limits and policies, set by administrators: daily budgets per user and per channel,
 * per-channel policies (mode, which integrations, who approves) and per-integration modes. Turns
 * read them when they start (activities/agent/turns.ts), so a change applies to the next turn.
 */
export async function adminRoutes(root: FastifyInstance, deps: AdminRouteDeps): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { db } = deps;
  app.addHook('preHandler', async (request) => requireAdmin(request));

  app.get(
    '/api/admin/users',
    {
      schema: {
        response: { 200: adminUsersResponse },
      },
    },
    async () => {
      const users = await db.user.findMany({
        orderBy: { createdAt: 'asc' },
        take: 1_000,
        select: {
          id: true,
          displayName: true,
          role: true,
          createdAt: true,
          identities: {
            select: { platform: true, workspaceId: true, platformUserId: true, displayName: true },
          },
        },
      });
      return { users: users.map((u) => ({ ...u, createdAt: u.createdAt.toISOString() })) };
    },
  );

  app.get('/api/admin/budgets', { schema: { response: { 200: budgetsResponse } } }, async () => ({
    budgets: (await db.budget.findMany({ orderBy: [{ scope: 'asc' }, { subject: 'asc' }] })).map(
      budgetView,
    ),
  }));
  app.put(
    '/api/admin/budgets/:scope/:subject',
    { schema: { params: budgetParams, body: budgetBody } },
    async (request) => {
      const { scope, subject } = request.params;
      if (scope === 'user' && !(await db.user.findUnique({ where: { id: subject } })))
        throw new HttpError(404, 'not_found', `No user ${subject}.`);
      const row = await db.budget.upsert({
        where: { scope_subject: { scope, subject } },
        create: { scope, subject, ...request.body },
        update: request.body,
      });
      return budgetView(row);
    },
  );
  app.delete(
    '/api/admin/budgets/:scope/:subject',
    { schema: { params: budgetParams } },
    async (request) => {
      const { scope, subject } = request.params;
      const { count } = await db.budget.deleteMany({ where: { scope, subject } });
      if (!count) throw new HttpError(404, 'not_found', `No ${scope} budget for ${subject}.`);
      return { deleted: true };
    },
  );

  app.get(
    '/api/admin/channel-policies',
    { schema: { response: { 200: channelPoliciesResponse } } },
    async () => ({
      policies: (await db.channelPolicy.findMany({ orderBy: { channelKey: 'asc' } })).map(
        channelView,
      ),
    }),
  );
  app.put(
    '/api/admin/channel-policies/:channelKey',
    { schema: { params: channelPolicyParams, body: channelPolicyBody } },
    async (request) => {
      const { channelKey } = request.params;
      const body = request.body;
      const unknown = body.allowedIntegrations.filter((id) => !deps.integrationIds.has(id));
      if (unknown.length)
        throw new HttpError(
          400,
          'invalid_request',
          `Unknown integration(s): ${unknown.join(', ')}.`,
        );
      if (body.approverUserIds.length) {
        const found = await db.user.count({ where: { id: { in: body.approverUserIds } } });
        if (found !== new Set(body.approverUserIds).size)
          throw new HttpError(
            400,
            'invalid_request',
            'Every approver must be an existing user id.',
          );
      }
      const data = { ...body, mode: body.mode ? toDb(body.mode) : null };
      const row = await db.channelPolicy.upsert({
        where: { channelKey },
        create: { channelKey, ...data },
        update: data,
      });
      return channelView(row);
    },
  );
  app.delete(
    '/api/admin/channel-policies/:channelKey',
    { schema: { params: channelPolicyParams } },
    async (request) => {
      const { count } = await db.channelPolicy.deleteMany({
        where: { channelKey: request.params.channelKey },
      });
      if (!count)
        throw new HttpError(404, 'not_found', `No policy for ${request.params.channelKey}.`);
      return { deleted: true };
    },
  );

  app.get(
    '/api/admin/integration-policies',
    { schema: { response: { 200: integrationPoliciesResponse } } },
    async () => ({
      policies: (await db.integrationPolicy.findMany({ orderBy: { integrationId: 'asc' } })).map(
        (p) => ({ ...p, mode: fromDb(p.mode), updatedAt: p.updatedAt.toISOString() }),
      ),
    }),
  );
  app.put(
    '/api/admin/integration-policies/:integrationId',
    { schema: { params: integrationPolicyParams, body: integrationPolicyBody } },
    async (request) => {
      const { integrationId } = request.params;
      if (!deps.integrationIds.has(integrationId))
        throw new HttpError(404, 'not_found', `No integration ${integrationId} in the catalog.`);
      const mode = toDb(request.body.mode);
      const row = await db.integrationPolicy.upsert({
        where: { integrationId },
        create: { integrationId, mode },
        update: { mode },
      });
      return { ...row, mode: fromDb(row.mode), updatedAt: row.updatedAt.toISOString() };
    },
  );
  app.delete(
    '/api/admin/integration-policies/:integrationId',
    { schema: { params: integrationPolicyParams } },
    async (request) => {
      const { count } = await db.integrationPolicy.deleteMany({
        where: { integrationId: request.params.integrationId },
      });
      if (!count)
        throw new HttpError(404, 'not_found', `No policy for ${request.params.integrationId}.`);
      return { deleted: true };
    },
  );
}
