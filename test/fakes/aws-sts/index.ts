import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseSigV4, verifySigV4 } from './sigv4.js';

export interface FakeStsOptions {
  /** The platform's base identity: the only one allowed to call AssumeRole. */
  base: { accessKeyId: string; secretAccessKey: string };
  /** Roles that exist, by ARN, with what their trust policy demands (see `FakeRole`). */
  roles: Record<string, FakeRole>;
  /** Delay before each answer, in milliseconds. Default 0. */
  delayMs?: number;
}

/**
 * A role's trust policy: the `sts:ExternalId` it requires (none: any or no id passes) and,
 * optionally, the `aws:RequestTag/dynamiq:user` value it requires.
 */
export interface FakeRole {
  externalId?: string;
  dynamiqUser?: string;
}

export interface AssumeRoleCall {
  roleArn: string;
  roleSessionName: string;
  externalId: string | undefined;
  durationSeconds: number;
  tags: Record<string, string>;
  /** The access key id the request was signed with. */
  signedBy: string;
}

export interface IssuedSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiresAt: Date;
  roleArn: string;
  roleSessionName: string;
}

export interface FakeSts {
  url: string;
  assumeRoleCalls: AssumeRoleCall[];
  /** Every GetCallerIdentity that passed signature checks, with the key it was signed with. */
  callerIdentityCalls: Array<{ accessKeyId: string; arn: string }>;
  /** Requests refused, with AWS's error code. */
  refusals: Array<{ action: string; code: string }>;
  issued: Map<string, IssuedSession>;
  /** Creates a role or replaces its trust policy, e.g. once the user's external id is known. */
  setRole(roleArn: string, role: FakeRole): void;
  close(): Promise<void>;
}

class StsFault extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const xml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const alnum = (n: number) =>
  Array.from(randomBytes(n), (b) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[b % 32]).join('');

/**
 * A local AWS STS speaking its Query protocol (form-encoded POST, XML answers, XML errors) that
 * checks every request's SigV4 signature: AssumeRole must be signed by the base identity and
 * meet the role's external id; GetCallerIdentity answers only for keys it issued (with their
 * session token) or the base identity.
 */
export async function startFakeSts(opts: FakeStsOptions): Promise<FakeSts> {
  const state = {
    assumeRoleCalls: [] as AssumeRoleCall[],
    callerIdentityCalls: [] as Array<{ accessKeyId: string; arn: string }>,
    refusals: [] as Array<{ action: string; code: string }>,
    issued: new Map<string, IssuedSession>(),
  };
  const roles = new Map(Object.entries(opts.roles));

  function authenticate(req: http.IncomingMessage, body: string): string {
    const parts = parseSigV4(req.headers.authorization);
    if (!parts)
      throw new StsFault(
        403,
        'MissingAuthenticationToken',
        'Request is missing Authentication Token',
      );
    const session = state.issued.get(parts.accessKeyId);
    const secret =
      parts.accessKeyId === opts.base.accessKeyId
        ? opts.base.secretAccessKey
        : session?.secretAccessKey;
    if (!secret)
      throw new StsFault(
        403,
        'InvalidClientTokenId',
        'The security token included in the request is invalid.',
      );
    if (session && req.headers['x-amz-security-token'] !== session.sessionToken) {
      throw new StsFault(
        403,
        'InvalidClientTokenId',
        'The security token included in the request is invalid.',
      );
    }
    const signed = {
      method: req.method ?? 'POST',
      url: req.url ?? '/',
      headers: req.headers,
      body,
    };
    if (!verifySigV4(signed, parts, secret)) {
      throw new StsFault(
        403,
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided.',
      );
    }
    if (session && session.expiresAt.getTime() < Date.now()) {
      throw new StsFault(
        403,
        'ExpiredToken',
        'The security token included in the request is expired',
      );
    }
    return parts.accessKeyId;
  }

  function assumeRole(p: URLSearchParams, signedBy: string): string {
    if (signedBy !== opts.base.accessKeyId) {
      throw new StsFault(
        403,
        'AccessDenied',
        `User ${signedBy} is not authorized to perform: sts:AssumeRole`,
      );
    }
    const roleArn = p.get('RoleArn') ?? '';
    const roleSessionName = p.get('RoleSessionName') ?? '';
    const durationSeconds = Number(p.get('DurationSeconds') ?? 3600);
    const tags: Record<string, string> = {};
    for (let i = 1; p.has(`Tags.member.${i}.Key`); i++) {
      tags[p.get(`Tags.member.${i}.Key`)!] = p.get(`Tags.member.${i}.Value`) ?? '';
    }
    const call = {
      roleArn,
      roleSessionName,
      externalId: p.get('ExternalId') ?? undefined,
      durationSeconds,
      tags,
      signedBy,
    };
    state.assumeRoleCalls.push(call);
    if (!/^[\w+=,.@-]{2,64}$/.test(roleSessionName)) {
      throw new StsFault(
        400,
        'ValidationError',
        `1 validation error detected: Value '${roleSessionName}' at 'roleSessionName' failed to satisfy constraint`,
      );
    }
    if (!(durationSeconds >= 900 && durationSeconds <= 43200)) {
      throw new StsFault(400, 'ValidationError', 'DurationSeconds must be between 900 and 43200');
    }
    const role = roles.get(roleArn);
    if (
      !role ||
      (role.externalId !== undefined && role.externalId !== call.externalId) ||
      (role.dynamiqUser !== undefined && role.dynamiqUser !== tags['dynamiq:user'])
    ) {
      throw new StsFault(
        403,
        'AccessDenied',
        `User is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
      );
    }
    const session: IssuedSession = {
      accessKeyId: `ASIA${alnum(16)}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: randomBytes(180).toString('base64'),
      expiresAt: new Date(Math.floor(Date.now() / 1000 + durationSeconds) * 1000),
      roleArn,
      roleSessionName,
    };
    state.issued.set(session.accessKeyId, session);
    return (
      `<AssumeRoleResponse xmlns="${NS}"><AssumeRoleResult><Credentials>` +
      `<AccessKeyId>${session.accessKeyId}</AccessKeyId><SecretAccessKey>${xml(session.secretAccessKey)}</SecretAccessKey>` +
      `<SessionToken>${xml(session.sessionToken)}</SessionToken><Expiration>${session.expiresAt.toISOString()}</Expiration>` +
      `</Credentials><AssumedRoleUser><AssumedRoleId>AROA${alnum(17)}:${xml(roleSessionName)}</AssumedRoleId>` +
      `<Arn>${xml(assumedArn(session))}</Arn></AssumedRoleUser><PackedPolicySize>6</PackedPolicySize>` +
      `</AssumeRoleResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></AssumeRoleResponse>`
    );
  }

  function callerIdentity(signedBy: string): string {
    const session = state.issued.get(signedBy);
    const arn = session ? assumedArn(session) : 'arn:aws:iam::000000000000:user/dynamiq-platform';
    state.callerIdentityCalls.push({ accessKeyId: signedBy, arn });
    const account = arn.split(':')[4];
    return (
      `<GetCallerIdentityResponse xmlns="${NS}"><GetCallerIdentityResult><Arn>${xml(arn)}</Arn>` +
      `<UserId>${xml(signedBy)}</UserId><Account>${account}</Account></GetCallerIdentityResult>` +
      `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`
    );
  }

  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const params = new URLSearchParams(body);
      const action = params.get('Action') ?? '';
      const answer = (status: number, text: string) => {
        const send = () => {
          res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() });
          res.end(text);
        };
        if (opts.delayMs) setTimeout(send, opts.delayMs);
        else send();
      };
      try {
        if (req.method !== 'POST') throw new StsFault(400, 'InvalidAction', 'STS takes POST');
        const signedBy = authenticate(req, body);
        if (action === 'AssumeRole') return answer(200, assumeRole(params, signedBy));
        if (action === 'GetCallerIdentity') return answer(200, callerIdentity(signedBy));
        throw new StsFault(400, 'InvalidAction', `Could not find operation ${action}`);
      } catch (err) {
        const fault =
          err instanceof StsFault ? err : new StsFault(500, 'InternalFailure', String(err));
        state.refusals.push({ action, code: fault.code });
        answer(
          fault.status,
          `<ErrorResponse xmlns="${NS}"><Error><Type>${fault.status < 500 ? 'Sender' : 'Receiver'}</Type>` +
            `<Code>${fault.code}</Code><Message>${xml(fault.message)}</Message></Error>` +
            `<RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
        );
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    ...state,
    setRole: (roleArn, role) => void roles.set(roleArn, role),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function assumedArn(s: IssuedSession): string {
  const [, , , , account, resource] = s.roleArn.split(':');
  const roleName = resource!.split('/').at(-1);
  return `arn:aws:sts::${account}:assumed-role/${roleName}/${s.roleSessionName}`;
}
