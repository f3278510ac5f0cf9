// What a command's sandbox reached, as the product records it: a tool call's connections,
// allowed and refused, in GET /api/conversations/:id. Every destination is this machine's
// loopback: a test server allowed by host:port (standing in for the internet), the test run's
// PostgreSQL, Temporal server and the app's own api port.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgentHarness, toolResults } from './agent-harness.js';
import type { AgentHarness } from './agent-harness.js';
import type { ToolCallConnection } from '../../web/contract/index.js';

type Connection = ToolCallConnection;

/** curl through the proxy even for loopback names (NO_PROXY lists them for local servers). */
const viaProxy = `curl -s --noproxy '' --max-time 10`;

describe('a command through the egress proxy, on its tool call record', () => {
  let h: AgentHarness;
  let internet: Server;
  let internetPort: number;
  let databasePort: number;

  beforeAll(async () => {
    internet = createServer((_req, res) => res.end('hello-from-the-internet'));
    await new Promise<void>((resolve) => internet.listen(0, '127.0.0.1', resolve));
    internetPort = (internet.address() as AddressInfo).port;
    h = await startAgentHarness({ SANDBOX_EGRESS_ALLOW: `127.0.0.1:${internetPort}` });
    databasePort = Number(new URL(h.app.env.DATABASE_URL!).port || 5432);
  });
  afterAll(async () => {
    await h?.close();
    internet?.close();
  });

  it('lists the allowed and the refused connection in the conversation view', async () => {
    const command = [
      `${viaProxy} -x "$HTTP_PROXY" http://127.0.0.1:${internetPort}/; echo`,
      `${viaProxy} -p -x "$HTTP_PROXY" -w ' db=%{http_connect}' http://127.0.0.1:${databasePort}/; echo`,
    ].join('; ');
    h.script.current = (req) =>
      toolResults(req).length === 0
        ? { toolCalls: [{ name: 'run_command', arguments: { command } }] }
        : { text: 'looked' };
    const id = await h.newConversation();
    const events = await h.send(id, 'reach out');
    expect(events.at(-1)!.data).toMatchObject({ content: 'looked' });

    const [call] = (await h.detail(id)).turns[0]!.toolCalls as unknown as Array<{
      status: string;
      output: string;
      network: { connections: Connection[]; dropped: number } | null;
    }>;
    expect(call!.status).toBe('completed');
    expect(call!.output).toContain('hello-from-the-internet');
    expect(call!.output).toContain('db=403');
    expect(call!.network).toMatchObject({
      connections: [
        {
          protocol: 'http',
          host: '127.0.0.1',
          port: internetPort,
          address: '127.0.0.1',
          allowed: true,
          reason: null,
        },
        {
          protocol: 'connect',
          host: '127.0.0.1',
          port: databasePort,
          allowed: false,
          // The product's own database: on the deny list before any address class is asked.
          reason: 'a denied destination',
          bytesIn: 0,
          bytesOut: 0,
        },
      ],
      dropped: 0,
    });
    expect(call!.network!.connections[0]!.bytesIn).toBeGreaterThan(0);
  });

  it('cannot reach the database or Temporal port directly; the api port only as the recorded broker bridge', async () => {
    const temporalPort = Number(new URL(`tcp://${h.app.env.TEMPORAL_ADDRESS}`).port);
    const apiPort = Number(new URL(h.app.url).port);
    const direct = (port: number, path = '/') =>
      `curl -s --noproxy '*' --max-time 5 -o /dev/null -w '%{http_code}' http://127.0.0.1:${port}${path}; echo " ${port}=$?"`;
    // The api is the credential broker here, so it is bridged in; the rest of it needs a login.
    const command = [
      direct(databasePort),
      direct(temporalPort),
      direct(apiPort, '/api/conversations'),
    ].join('; ');
    h.script.current = (req) =>
      toolResults(req).length === 0
        ? { toolCalls: [{ name: 'run_command', arguments: { command } }] }
        : { text: 'probed' };
    const id = await h.newConversation();
    await h.send(id, 'probe');
    const [call] = (await h.detail(id)).turns[0]!.toolCalls as unknown as Array<{
      output: string;
      network: { connections: Connection[]; dropped: number } | null;
    }>;
    // curl's exit 7: nothing listens there (the sandbox has only its own loopback).
    expect(call!.output).toContain(`000 ${databasePort}=7`);
    expect(call!.output).toContain(`000 ${temporalPort}=7`);
    expect(call!.output).toContain(`401 ${apiPort}=0`);
    expect(call!.network!.connections).toMatchObject([
      { protocol: 'bridge', host: '127.0.0.1', port: apiPort, allowed: true },
    ]);
  });
});
