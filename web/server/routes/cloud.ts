import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  awsCredentialInput,
  brokerRequestBody,
  gcpCredentialInput,
  serviceAccountEmail,
} from '../../../broker/index.js';
import type { CredentialBroker } from '../../../broker/index.js';
import { HttpError } from '../errors.js';
import { brokerOf } from './broker-http.js';

/** What the cloud routes need; `ServerDeps` provides it once it carries `broker`. */
export interface CloudRouteDeps {
  /** Absent when JWT_SECRET or the master key is missing: every cloud route then answers 503. */
  broker?: CredentialBroker;
}

const idParams = z.object({ id: z.uuid({ error: 'must be a credential id (UUID)' }) });
const userParams = z.object({ id: z.uuid({ error: 'must be a user id (UUID)' }) });
const grantParams = userParams.extend({ email: serviceAccountEmail() });

function requireAdmin(request: FastifyRequest): void {
  if (request.user.role !== 'admin') {
    throw new HttpError(
      403,
      'forbidden',
      'Only an administrator maps GCP service accounts to users.',
    );
  }
}

/**
 * Administrator routes (register inside the bearer-authenticated /api scope): the user's stored
 * cloud credentials, which never leave in the clear, and the user's audit trail.
 */
export async function cloudRoutes(root: FastifyInstance, deps: CloudRouteDeps): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const broker = () => brokerOf(deps);
  const requireUser = async (id: string) => {
    if (!(await broker().store.userExists(id)))
      throw new HttpError(404, 'not_found', `No user ${id}.`);
  };

  app.get('/api/cloud/credentials', async (request) => ({
    credentials: await broker().store.list(request.user.id),
  }));

  // For the role's trust policy: sts:ExternalId must equal it (and Principal name the platform).
  app.get('/api/cloud/aws/external-id', async (request) => broker().awsTrust(request.user.id));

  // The service accounts an administrator mapped to the caller, which they may impersonate.
  app.get('/api/cloud/gcp/service-accounts', async (request) => ({
    serviceAccounts: await broker().store.gcpGrants.list(request.user.id),
  }));

  app.get(
    '/api/admin/users/:id/gcp-service-accounts',
    { schema: { params: userParams } },
    async (request) => {
      requireAdmin(request);
      await requireUser(request.params.id);
      return { serviceAccounts: await broker().store.gcpGrants.list(request.params.id) };
    },
  );

  app.put(
    '/api/admin/users/:id/gcp-service-accounts/:email',
    { schema: { params: grantParams } },
    async (request, reply) => {
      requireAdmin(request);
      await requireUser(request.params.id);
      const { grant, created } = await broker().mapGcpServiceAccount(
        request.params.id,
        request.params.email,
        request.user.id,
      );
      return reply.status(created ? 201 : 200).send({ serviceAccount: grant });
    },
  );

  app.delete(
    '/api/admin/users/:id/gcp-service-accounts/:email',
    { schema: { params: grantParams } },
    async (request, reply) => {
      requireAdmin(request);
      const removed = await broker().unmapGcpServiceAccount(
        request.params.id,
        request.params.email,
      );
      if (!removed) {
        throw new HttpError(
          404,
          'not_found',
          `${request.params.email} is not mapped to user ${request.params.id}.`,
        );
      }
      return reply.status(204).send();
    },
  );

  app.post(
    '/api/cloud/credentials/aws',
    { schema: { body: awsCredentialInput } },
    async (request, reply) => {
      const credential = await broker().createAws(request.user.id, request.body);
      return reply.status(201).send({ credential });
    },
  );

  app.post(
    '/api/cloud/credentials/gcp',
    { schema: { body: gcpCredentialInput } },
    async (request, reply) => {
      const credential = await broker().createGcp(request.user.id, request.body);
      return reply.status(201).send({ credential });
    },
  );

  app.delete(
    '/api/cloud/credentials/:id',
    { schema: { params: idParams } },
    async (request, reply) => {
      const deleted = await broker().deleteCredential(request.user.id, request.params.id);
      if (!deleted)
        throw new HttpError(404, 'not_found', `No cloud credential ${request.params.id}.`);
      return reply.status(204).send();
    },
  );

  app.get(
    '/api/audit',
    {
      schema: {
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(500).default(100),
          before: z.iso.datetime().optional(),
        }),
      },
    },
    async (request) => {
      const { limit, before } = request.query;
      const events = await broker().audit.list(request.user.id, {
        limit,
        ...(before ? { before: new Date(before) } : {}),
      });
      return { events, next: events.length === limit ? events.at(-1)!.at : null };
    },
  );
}

/**
 * Sandbox-facing routes, authenticated by the command's sandbox token rather than the
 * administrator's: register them at the root, outside the /api bearer hook.
 * - `POST /api/cloud/aws/credentials` `{name?}`: `credential_process` JSON.
 * - `POST /api/cloud/gcp/credentials` `{name?}`: `{accessToken, expiresAt, ...}`.
 */
export async function cloudBrokerRoutes(
  root: FastifyInstance,
  deps: CloudRouteDeps,
): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const options = { schema: { body: brokerRequestBody } };

  app.post('/api/cloud/aws/credentials', options, async (request, reply) => {
    const answer = await brokerOf(deps).awsCredentials({
      authorization: request.headers.authorization,
      name: request.body.name,
    });
    // Credentials must not sit in a proxy's or browser's cache.
    return reply.header('cache-control', 'no-store').send(answer);
  });

  app.post('/api/cloud/gcp/credentials', options, async (request, reply) => {
    const answer = await brokerOf(deps).gcpAccessToken({
      authorization: request.headers.authorization,
      name: request.body.name,
    });
    return reply.header('cache-control', 'no-store').send(answer);
  });
}
