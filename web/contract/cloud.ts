import { z } from 'zod';
// The request bodies are the broker's own zod schemas; only their types cross into the portal
// (the broker's module pulls in Node code, and the server validates anyway).
import type { AwsCredentialInput, GcpCredentialInput } from '../../broker/index.js';

export type { AwsCredentialInput, GcpCredentialInput };

/** A stored cloud credential as the API shows it: settings only, never the sealed part. */
export const cloudCredentialSchema = z.object({
  id: z.string(),
  provider: z.enum(['aws', 'gcp']),
  name: z.string(),
  config: z.union([
    z.object({ roleArn: z.string(), region: z.string(), sessionDurationSeconds: z.number() }),
    z.object({
      mode: z.enum(['key', 'impersonate']),
      serviceAccount: z.string(),
      projectId: z.string().nullable(),
      scopes: z.array(z.string()),
      lifetimeSeconds: z.number(),
    }),
  ]),
  /** True when a sealed part (a key file) is stored. */
  hasSecret: z.boolean(),
  /** AWS only: the user's external id, which the role's trust policy must require. */
  externalId: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type CloudCredentialView = z.infer<typeof cloudCredentialSchema>;

export const cloudCredentialsResponse = z.object({ credentials: z.array(cloudCredentialSchema) });
export type CloudCredentialsResponse = z.infer<typeof cloudCredentialsResponse>;
export const cloudCredentialResponse = z.object({ credential: cloudCredentialSchema });
export type CloudCredentialResponse = z.infer<typeof cloudCredentialResponse>;

/**
 * `GET /api/cloud/aws/external-id`: what a role's trust policy names. The external id is made by
 * the server for the user (never chosen, never changed); `principal` is the platform's AWS
 * identity that assumes roles, null when STS cannot say.
 */
export const awsTrustResponse = z.object({
  externalId: z.string(),
  principal: z.string().nullable(),
  /** Tags on every session the broker opens for the user; `dynamiq:user` is their user id. */
  sessionTags: z.object({ 'dynamiq:user': z.string() }),
});
export type AwsTrustResponse = z.infer<typeof awsTrustResponse>;

/** A GCP service account an administrator mapped to a user, who may then impersonate it. */
export const gcpServiceAccountGrantSchema = z.object({
  serviceAccount: z.string(),
  /** The administrator who mapped it; null once that account is deleted. */
  createdBy: z.string().nullable(),
  createdAt: z.string(),
});
export type GcpServiceAccountGrantView = z.infer<typeof gcpServiceAccountGrantSchema>;
/** `GET /api/cloud/gcp/service-accounts` (the caller's) and `GET /api/admin/users/{id}/gcp-service-accounts`. */
export const gcpServiceAccountsResponse = z.object({
  serviceAccounts: z.array(gcpServiceAccountGrantSchema),
});
export type GcpServiceAccountsResponse = z.infer<typeof gcpServiceAccountsResponse>;

export const auditEventSchema = z.object({
  id: z.string(),
  at: z.string(),
  action: z.string(),
  target: z.string(),
  outcome: z.string(),
  conversationId: z.string().nullable(),
  sandboxId: z.string().nullable(),
  detail: z.unknown(),
});
export type AuditEventView = z.infer<typeof auditEventSchema>;

export const auditQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  before: z.iso.datetime().optional(),
});
export const auditResponse = z.object({
  events: z.array(auditEventSchema),
  /** Pass as `before` for the next page; null on the last one. */
  next: z.string().nullable(),
});
export type AuditResponse = z.infer<typeof auditResponse>;
