import { z } from 'zod';
import { credentialNameSchema } from '../lib/sandbox-access/index.js';

// IAM role ARNs in every partition (aws, aws-cn, aws-us-gov); paths are allowed.
const roleArn = z
  .string()
  .regex(
    /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/([\x21-\x7e]{1,510}\/)?[\w+=,.@-]{1,64}$/,
    'must be an IAM role ARN, e.g. arn:aws:iam::123456789012:role/dynamiq',
  );

/** `POST /api/cloud/credentials/aws` body. */
export const awsCredentialInput = z.strictObject({
  name: credentialNameSchema,
  roleArn,
  /**
   * Refused: the external id is the user's own, issued by the server
   * (`GET /api/cloud/aws/external-id`). A client-chosen one would let any user assume another's
   * role by naming that role and guessing its id.
   */
  externalId: z
    .never({
      error:
        'is issued by the server, never chosen: leave it out and put the id from GET /api/cloud/aws/external-id in the role trust policy',
    })
    .optional(),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, 'must be an AWS region, e.g. eu-west-1'),
  /** The longest session the broker may ask for (the role's MaxSessionDuration), in seconds. */
  sessionDurationSeconds: z.number().int().min(900).max(43200).default(3600),
});
export type AwsCredentialInput = z.input<typeof awsCredentialInput>;

/** Non-secret AWS settings kept in CloudCredential.config. */
export const awsConfigSchema = z.object({
  roleArn: z.string(),
  region: z.string(),
  sessionDurationSeconds: z.number().int(),
});
export type AwsConfig = z.infer<typeof awsConfigSchema>;

/** The fields Google puts in a service-account key file that the broker needs. */
export const serviceAccountKeySchema = z.looseObject({
  type: z.literal('service_account'),
  project_id: z.string().min(1).optional(),
  private_key_id: z.string().min(1),
  private_key: z
    .string()
    .regex(/-----BEGIN (RSA )?PRIVATE KEY-----[\s\S]+-----END (RSA )?PRIVATE KEY-----/, {
      error: 'must be a PEM private key',
    }),
  client_email: z.email(),
});
export type ServiceAccountKey = z.infer<typeof serviceAccountKeySchema>;

/** A service account's email, lower-cased so a mapping and a request compare equal. */
export function serviceAccountEmail() {
  return z.email().toLowerCase().endsWith('.gserviceaccount.com', {
    error: 'must be a service account email (…gserviceaccount.com)',
  });
}

const scopeUrl = z.url().startsWith('https://www.googleapis.com/auth/');

/** `POST /api/cloud/credentials/gcp` body: a key to use, or a service account to impersonate. */
export const gcpCredentialInput = z
  .strictObject({
    name: credentialNameSchema,
    // Accepted as the uploaded file's text or as parsed JSON.
    serviceAccountKey: z
      .union([
        z.string().transform((text, ctx) => {
          try {
            return JSON.parse(text) as unknown;
          } catch {
            ctx.addIssue({ code: 'custom', message: 'must be the key file JSON' });
            return z.NEVER;
          }
        }),
        z.record(z.string(), z.unknown()),
      ])
      .pipe(serviceAccountKeySchema)
      .optional(),
    /** Must be mapped to the user by an administrator (`PUT /api/admin/users/{id}/gcp-service-accounts/{email}`). */
    targetServiceAccount: serviceAccountEmail().optional(),
    scopes: z
      .array(scopeUrl)
      .min(1)
      .max(20)
      .default(['https://www.googleapis.com/auth/cloud-platform']),
    /** Access-token lifetime when impersonating, in seconds (Google's maximum is 3600). */
    lifetimeSeconds: z.number().int().min(300).max(3600).default(3600),
  })
  .refine((v) => (v.serviceAccountKey === undefined) !== (v.targetServiceAccount === undefined), {
    message: 'give either serviceAccountKey or targetServiceAccount, not both or neither',
    path: ['serviceAccountKey'],
  });
export type GcpCredentialInput = z.input<typeof gcpCredentialInput>;

/** Non-secret GCP settings kept in CloudCredential.config. */
export const gcpConfigSchema = z.object({
  mode: z.enum(['key', 'impersonate']),
  serviceAccount: z.string(),
  projectId: z.string().nullable(),
  scopes: z.array(z.string()),
  lifetimeSeconds: z.number().int(),
});
export type GcpConfig = z.infer<typeof gcpConfigSchema>;

/** Sandbox-facing request body: which stored credential, when the token allows several. */
export const brokerRequestBody = z
  .strictObject({ name: credentialNameSchema.optional() })
  .default({});
