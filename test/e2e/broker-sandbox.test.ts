import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HELPERS_DIR,
  LocalSandboxProvider,
  destinationOfUrl,
} from '../../activities/sandbox/index.js';
import type { LocalSandbox } from '../../activities/sandbox/index.js';
import { configureSandboxClouds, withGcpToken } from '../../activities/sandbox/index.js';
import {
  GCP_TOKEN_PATH,
  brokerSandboxEnv,
  mintSandboxToken,
} from '../../lib/sandbox-access/index.js';
import type { CloudGrant } from '../../lib/sandbox-access/index.js';
import { startFakeSts } from '../fakes/aws-sts/index.js';
import type { FakeSts } from '../fakes/aws-sts/index.js';
import { startFakeGoogle } from '../fakes/google/index.js';
import type { FakeGoogle, ServiceAccountKeyFile } from '../fakes/google/index.js';
import { startBrokerHarness } from './broker-harness.js';
import type { BrokerHarness } from './broker-harness.js';

// The whole path as production runs it: the real AWS CLI and gcloud in a bubblewrap sandbox,
// their credential helpers, the broker's HTTP routes, and local fakes of STS and Google.
const ROLE = 'arn:aws:iam::210987654321:role/dynamiq-ops';
// The administrator's server-issued external id, read once the harness is up.
let EXTERNAL_ID: string;
const BASE = { accessKeyId: 'AKIAPLATFORM00000002', secretAccessKey: `base-${randomUUID()}` };
const USER_SA = 'ops@dynamiq-test.iam.gserviceaccount.com';
const AWS = '/usr/bin/aws';

let sts: FakeSts;
let google: FakeGoogle;
let h: BrokerHarness;
let key: ServiceAccountKeyFile;
let dataDir: string;
let sbx: LocalSandbox;
const conversationId = randomUUID();

const token = (clouds: CloudGrant[], secret = h.jwtSecret, now?: Date) =>
  mintSandboxToken(
    { userId: h.admin.id, conversationId, sandboxId: sbx.id, clouds },
    secret,
    now ? { now } : {},
  );

function run(command: string, sandboxToken: string, extraEnv: Record<string, string> = {}) {
  return sbx.exec(command, {
    env: {
      ...brokerSandboxEnv({ brokerUrl: h.url, token: sandboxToken }),
      CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
      ...extraEnv,
    },
    timeoutMs: 120_000,
  });
}

const callerIdentity = () =>
  `${AWS} sts get-caller-identity --endpoint-url ${sts.url} --output json`;

beforeAll(async () => {
  sts = await startFakeSts({ base: BASE, roles: {} });
  google = await startFakeGoogle();
  key = google.newServiceAccountKey(USER_SA);
  h = await startBrokerHarness({
    aws: { endpoint: sts.url, region: 'us-east-1', credentials: BASE },
    gcp: { tokenUrl: google.tokenUrl },
  });
  EXTERNAL_ID = (
    (await (await h.api('/api/cloud/aws/external-id')).json()) as { externalId: string }
  ).externalId;
  sts.setRole(ROLE, { externalId: EXTERNAL_ID, dynamiqUser: h.admin.id });
  const aws = await h.api('/api/cloud/credentials/aws', {
    method: 'POST',
    json: { name: 'ops', roleArn: ROLE, region: 'eu-central-1' },
  });
  expect(aws.status).toBe(201);
  const gcp = await h.api('/api/cloud/credentials/gcp', {
    method: 'POST',
    json: { name: 'ops', serviceAccountKey: key },
  });
  expect(gcp.status).toBe(201);

  dataDir = await mkdtemp(path.join(tmpdir(), 'dynamiq-broker-'));
  await chmod(dataDir, 0o711);
  sbx = await new LocalSandboxProvider({
    root: path.join(dataDir, 'sandboxes'),
    // The default network: the broker allowed as production allows it (read per command),
    // the fakes of STS and Google allowed as an operator would allow an internal endpoint.
    egress: {
      allow: [destinationOfUrl(sts.url)!, destinationOfUrl(google.url)!],
      allowPerCommand: () => [destinationOfUrl(h.url)!],
    },
    readOnlyBinds: [{ source: HELPERS_DIR, target: '/opt/dynamiq/bin', onPath: true }],
    output: { headBytes: 1024 * 1024, tailBytes: 1024 * 1024 },
  }).create();
  await configureSandboxClouds(sbx, { aws: [{ name: 'ops', region: 'eu-central-1' }] });
});

afterAll(async () => {
  await sbx?.kill();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
  await h?.close();
  await sts?.close();
  await google?.close();
});

describe('cloud CLIs in a sandbox get credentials from the broker', () => {
  it('aws sts get-caller-identity signs with the key STS issued to the broker', async () => {
    const r = await run(callerIdentity(), await token([{ provider: 'aws' }]));
    expect(r.exitCode, r.stderr).toBe(0);
    const identity = JSON.parse(r.stdout) as { Arn: string; UserId: string };
    expect(identity.Arn).toMatch(/^arn:aws:sts::210987654321:assumed-role\/dynamiq-ops\/dq\./);
    const issued = [...sts.issued.values()];
    expect(issued).toHaveLength(1);
    const call = sts.callerIdentityCalls.at(-1)!;
    // The fake verified the SigV4 signature with the issued secret before recording this.
    expect(call.accessKeyId).toBe(issued[0]!.accessKeyId);
    expect(call.accessKeyId).not.toBe(BASE.accessKeyId);
    expect(sts.assumeRoleCalls.at(-1)).toMatchObject({
      externalId: EXTERNAL_ID,
      signedBy: BASE.accessKeyId,
    });
  });

  it('reaches the broker and STS through the egress proxy when loopback is not exempt, and records both', async () => {
    const r = await run(callerIdentity(), await token([{ provider: 'aws' }]), {
      NO_PROXY: '',
      no_proxy: '',
    });
    expect(r.exitCode, r.stderr).toBe(0);
    const broker = new URL(h.url);
    const sent = r.network!.connections.map((c) => [c.protocol, `${c.host}:${c.port}`, c.allowed]);
    // The credential helper's POSTs to the broker (the CLI may run it more than once), then
    // the CLI's call to STS: all plain-HTTP forwards through the proxy, none through a bridge.
    expect(new Set(sent.map((c) => JSON.stringify(c)))).toEqual(
      new Set([
        JSON.stringify(['http', `${broker.hostname}:${broker.port}`, true]),
        JSON.stringify(['http', new URL(sts.url).host, true]),
      ]),
    );
    expect(sent.at(-1)).toEqual(['http', new URL(sts.url).host, true]);
  });

  it('gcloud uses the token the helper wrote to its access-token file', async () => {
    const r = await run(
      withGcpToken(
        `gcloud projects describe dynamiq-test --format=json; stat -c %a ${GCP_TOKEN_PATH} >&2`,
      ),
      await token([{ provider: 'gcp', name: 'ops' }]),
      { CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDRESOURCEMANAGER: `${google.url}/` },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ projectId: 'dynamiq-test' });
    expect(google.apiCalls.at(-1)).toEqual({
      path: '/v1/projects/dynamiq-test',
      serviceAccount: USER_SA,
    });
    expect(r.stderr.trim().split('\n').at(-1)).toBe('600');
  });

  it('refuses forged, expired and out-of-scope tokens inside the sandbox, and audits each', async () => {
    const forged = await token([{ provider: 'aws' }], 'x'.repeat(48));
    const expired = await token(
      [{ provider: 'aws' }],
      h.jwtSecret,
      new Date(Date.now() - 3600_000),
    );
    const gcpOnly = await token([{ provider: 'gcp' }]);
    const cases = [
      [forged, 'invalid_signature', null],
      [expired, 'expired', null],
      [gcpOnly, 'out_of_scope', h.admin.id],
    ] as const;
    for (const [t, reason, userId] of cases) {
      const before = sts.assumeRoleCalls.length;
      const r = await run(callerIdentity(), t);
      expect(r.exitCode).not.toBe(0);
      expect(r.stderr).toContain(reason);
      expect(sts.assumeRoleCalls.length).toBe(before);
      await h.broker.audit.flush();
      const row = await h.database.prisma.auditEvent.findFirstOrThrow({ orderBy: { at: 'desc' } });
      if (userId === null) {
        // Without a valid token the refusal is counted into the minute's summary row.
        expect(row).toMatchObject({ action: 'credential.refused_unauthenticated', userId });
        expect(row.detail).toMatchObject({ count: 1, [reason]: 1 });
      } else {
        expect(row).toMatchObject({ action: 'credential.refused', outcome: 'refused', userId });
        expect(row.detail).toMatchObject({ reason });
      }
    }
  });

  it("nothing a command can read holds the user's stored secrets or the platform's", async () => {
    // A middle line of the PEM body: distinctive, and free of the armour lines every key shares.
    const keyLines = key.private_key.trim().split('\n');
    const secrets = [
      EXTERNAL_ID,
      keyLines[Math.floor(keyLines.length / 2)]!,
      BASE.secretAccessKey,
      h.jwtSecret,
    ];
    const t = await token([{ provider: 'aws' }, { provider: 'gcp' }]);
    // Processes, with their environments, while the helpers are running.
    const live = await run(
      withGcpToken(
        `${callerIdentity()} >/dev/null 2>&1 & ` +
          `for i in $(seq 100); do ps axww | grep -q '[g]et-caller-identity' && break; sleep 0.05; done; ` +
          `ps auxeww; env; cat /proc/[0-9]*/environ /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' '\\n'; wait`,
      ),
      t,
    );
    expect(live.exitCode, live.stderr).toBe(0);
    expect(live.stdout).toContain('DYNAMIQ_SANDBOX_TOKEN=');
    expect(live.stdout).toContain('sts get-caller-identity');
    for (const s of secrets) expect(live.stdout).not.toContain(s);
    // Every readable file. Patterns arrive on stdin so no file or command line holds them;
    // /usr is the host's read-only system, identical in every sandbox and never written by the
    // broker (and 6 GB to read).
    const scan = (patterns: string[]) =>
      sbx.exec(
        // Unreadable entries make grep exit 2 even without a match; the list is what counts.
        'grep -rlF -f - / --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev ' +
          '--exclude-dir=usr 2>/dev/null; echo scanned',
        { stdin: `${patterns.join('\n')}\n`, timeoutMs: 120_000 },
      );
    expect((await scan(secrets)).stdout).toBe('scanned\n');
  });

  it('leaves no token or credential file after a command, even one that was SIGKILLed', async () => {
    const t = await token([{ provider: 'gcp', name: 'ops' }]);
    // The helper writes gcloud's token; the command shows it is there (the same search that
    // follows finds it while the command runs), then kills itself with SIGKILL.
    const killed = await run(
      withGcpToken(
        `cat ${GCP_TOKEN_PATH}; echo; grep -rlF "$(cat ${GCP_TOKEN_PATH})" /home 2>/dev/null; kill -9 $$`,
      ),
      t,
    );
    expect(killed.exitCode).toBe(128 + 9);
    const [written, foundAt] = killed.stdout.trim().split('\n');
    expect(google.issued.has(written!)).toBe(true);
    expect(foundAt).toBe(GCP_TOKEN_PATH);
    const after = await sbx.exec(
      `ls -A ${GCP_TOKEN_PATH.replace(/\/[^/]*$/, '')} | wc -l; ls -A /tmp | wc -l; ` +
        'grep -rlF -f - / --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev ' +
        '--exclude-dir=usr 2>/dev/null; echo scanned',
      { stdin: `${written}\n`, timeoutMs: 120_000 },
    );
    expect(after.stdout).toBe('0\n0\nscanned\n');
  });
});
