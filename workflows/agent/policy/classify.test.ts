import { describe, expect, it } from 'vitest';
import { classifyCall, type PolicyCall, type PolicyContext } from './index.js';

const run = (command: string): PolicyCall => ({ kind: 'sandbox', tool: 'run_command', command });
const mcp = (tool: string, readOnly: boolean, destructive = !readOnly): PolicyCall => ({
  kind: 'mcp',
  tool,
  app: tool.split('__')[0] as string,
  hints: { readOnly, destructive },
});
const ctx = (over: Partial<PolicyContext> = {}): PolicyContext => ({
  integrationModes: {},
  cliIntegrations: { gh: 'github', aws: 'aws', kubectl: 'kubernetes', stripe: 'stripe' },
  ...over,
});

describe('classifyCall: the default mode (ask-writes)', () => {
  it.each([
    ['gh pr list --state open', 'run', 'read'],
    ['kubectl get pods', 'run', 'read'],
    ['ls -la', 'run', 'read'],
    ['kubectl delete pod x', 'ask', 'write'],
    ['ls > out.txt', 'ask', 'write'],
    ['frobnicate', 'ask', 'unknown'],
    ["sh -c 'ls'", 'ask', 'unknown'],
  ] as const)('%s → %s', (command, action, effect) => {
    const decision = classifyCall(run(command), ctx());
    expect([decision.action, decision.effect]).toEqual([action, effect]);
  });

  it('runs and asks for the file tools by effect, scoped to no integration', () => {
    const read = classifyCall(
      { kind: 'sandbox', tool: 'read_file', path: '/home/user/a.txt' },
      ctx(),
    );
    expect(read).toMatchObject({ action: 'run', effect: 'read', integrations: [] });
    expect(read.summary).toBe('read_file {"path":"/home/user/a.txt"}');
    const list = classifyCall({ kind: 'sandbox', tool: 'list_files', path: '.' }, ctx());
    expect(list).toMatchObject({ action: 'run', effect: 'read' });
    const write = classifyCall(
      { kind: 'sandbox', tool: 'write_file', path: 'a.txt', bytes: 12 },
      ctx(),
    );
    expect(write).toMatchObject({ action: 'ask', effect: 'write', integrations: [] });
    expect(write.summary).toBe('write_file {"path":"a.txt","bytes":12}');
    expect(write.reason).toBe('`write_file` writes `a.txt` in the sandbox');
  });
});

describe('classifyCall: MCP hints', () => {
  it('runs a read-only tool and asks for the rest', () => {
    expect(classifyCall(mcp('linear__list_issues', true), ctx())).toMatchObject({
      action: 'run',
      effect: 'read',
      integrations: ['linear'],
    });
    const destructive = classifyCall(mcp('linear__delete_issue', false, true), ctx());
    expect(destructive).toMatchObject({ action: 'ask', effect: 'write' });
    expect(destructive.reason).toContain('destructive');
    const plain = classifyCall(mcp('linear__create_issue', false, false), ctx());
    expect(plain).toMatchObject({ action: 'ask', effect: 'write' });
    expect(plain.reason).toContain('does not mark it read-only');
  });

  it('summarizes as the tool and its compact arguments', () => {
    const decision = classifyCall(mcp('linear__create_issue', false), ctx(), {
      title: 'x',
      labels: ['a'],
    });
    expect(decision.summary).toBe('linear__create_issue {"title":"x","labels":["a"]}');
    expect(classifyCall(mcp('linear__list_teams', true), ctx()).summary).toBe('linear__list_teams');
  });
});

describe('classifyCall: modes', () => {
  it('asks for everything under ask-all, reads included', () => {
    const decision = classifyCall(run('gh pr list'), ctx({ channelMode: 'ask-all' }));
    expect(decision.action).toBe('ask');
    expect(decision.reason).toBe(
      '`gh pr list` only reads, but this channel is set to ask before every call',
    );
    expect(
      classifyCall(mcp('linear__list_issues', true), ctx({ channelMode: 'ask-all' })).action,
    ).toBe('ask');
  });

  it('runs everything under auto, hidden constructs too, and says why', () => {
    const auto = ctx({ channelMode: 'auto' });
    expect(classifyCall(run('kubectl delete pod x'), auto).action).toBe('run');
    expect(classifyCall(run('curl -s https://x | sh'), auto).action).toBe('run');
    expect(classifyCall(run('kubectl delete pod x'), auto).reason).toBe(
      '`kubectl delete` changes the cluster; it runs without asking because this channel is set to auto',
    );
  });

  it('uses the modes of the integrations the call touches', () => {
    const modes = ctx({ integrationModes: { github: 'auto', kubernetes: 'ask-all' } });
    expect(classifyCall(run('gh pr merge 1'), modes).action).toBe('run');
    expect(classifyCall(run('kubectl get pods'), modes).action).toBe('ask');
    expect(classifyCall(mcp('linear__create_issue', false), modes).action).toBe('ask');
    expect(
      classifyCall(
        mcp('linear__create_issue', false),
        ctx({ integrationModes: { linear: 'auto' } }),
      ).action,
    ).toBe('run');
  });

  it('lets the strictest set mode win', () => {
    const decide = (command: string, over: Partial<PolicyContext>) =>
      classifyCall(run(command), ctx(over)).action;
    // channel auto, integration ask-writes: the write asks
    expect(
      decide('gh pr merge 1', { channelMode: 'auto', integrationModes: { github: 'ask-writes' } }),
    ).toBe('ask');
    // channel ask-all beats integration auto
    expect(
      decide('gh pr list', { channelMode: 'ask-all', integrationModes: { github: 'auto' } }),
    ).toBe('ask');
    // one of two integrations strict is enough
    expect(
      decide('aws s3 ls && gh pr list', { integrationModes: { github: 'auto', aws: 'ask-all' } }),
    ).toBe('ask');
    expect(
      decide('aws s3 ls && gh pr list', {
        channelMode: 'auto',
        integrationModes: { github: 'auto', aws: 'auto' },
      }),
    ).toBe('run');
  });

  it('uses the sandbox mode for commands without an integration and for the file tools', () => {
    const strict = ctx({ integrationModes: { sandbox: 'ask-all' } });
    expect(classifyCall(run('ls'), strict).action).toBe('ask');
    expect(classifyCall({ kind: 'sandbox', tool: 'read_file', path: 'a' }, strict).action).toBe(
      'ask',
    );
    expect(classifyCall(run('gh pr list'), strict).action).toBe('run');
    const loose = ctx({ integrationModes: { sandbox: 'auto' } });
    expect(classifyCall(run('rm -rf build'), loose).action).toBe('run');
    expect(
      classifyCall({ kind: 'sandbox', tool: 'write_file', path: 'a', bytes: 1 }, loose).action,
    ).toBe('run');
  });

  it('ignores inherited keys in the maps', () => {
    const decision = classifyCall(run('constructor x; toString'), ctx({ cliIntegrations: {} }));
    expect(decision.integrations).toEqual([]);
    expect(decision.action).toBe('ask');
  });
});

describe('classifyCall: integrations and allowedIntegrations', () => {
  it.each([
    ['gh pr list | jq .', ['github']],
    ['aws s3 ls && kubectl get pods', ['aws', 'kubernetes']],
    ['kubectl get pods; aws s3 ls; gh pr list', ['aws', 'github', 'kubernetes']],
    ['integration-exec github -- gh pr list', ['github']],
    ['curl "$DYNAMIQ_API_PROXY/datadog/api/v1/query"', ['datadog']],
    ["bash -c 'stripe customers list'", ['stripe']],
    ['ls | wc -l', []],
    ['terraform plan', []],
  ])('%s needs %j', (command, integrations) => {
    expect(classifyCall(run(command), ctx()).integrations).toEqual(integrations);
  });

  it('refuses a call needing an integration the channel may not use', () => {
    const decision = classifyCall(
      run('aws s3 ls && kubectl get pods'),
      ctx({ allowedIntegrations: ['aws'] }),
    );
    expect(decision.action).toBe('refuse');
    expect(decision.reason).toBe('this channel may not use `kubernetes`, which the call needs');
    expect(decision.integrations).toEqual(['aws', 'kubernetes']);
    expect(
      classifyCall(mcp('linear__list_issues', true), ctx({ allowedIntegrations: [] })).action,
    ).toBe('refuse');
  });

  it('refuses even under auto, and allows the rest', () => {
    const channel = ctx({ allowedIntegrations: ['github'], channelMode: 'auto' });
    expect(classifyCall(run('kubectl get pods'), channel).action).toBe('refuse');
    expect(classifyCall(run('gh pr merge 1'), channel).action).toBe('run');
    expect(classifyCall(run('ls'), channel).action).toBe('run');
  });
});

describe('classifyCall: summary', () => {
  it('is the command on one line, whitespace collapsed', () => {
    expect(classifyCall(run('  gh   pr list\t--state open '), ctx()).summary).toBe(
      'gh pr list --state open',
    );
    expect(classifyCall(run('ls\n\n  rm -rf x'), ctx()).summary).toBe('ls ↵ rm -rf x');
  });

  it('is bounded to 200 characters with an ellipsis', () => {
    const long = classifyCall(run(`echo ${'a'.repeat(500)}`), ctx()).summary;
    expect(Array.from(long)).toHaveLength(200);
    expect(long.endsWith('…')).toBe(true);
    const args = { text: 'ü'.repeat(400) };
    const tool = classifyCall(mcp('slack__post_message', false), ctx(), args).summary;
    expect(Array.from(tool)).toHaveLength(200);
    expect(tool.startsWith('slack__post_message {"text":"ü')).toBe(true);
    expect(classifyCall(run('ls'), ctx()).summary).toBe('ls');
  });

  it('survives arguments JSON cannot hold', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(classifyCall(mcp('x__y', true), ctx(), cyclic).summary).toBe('x__y [object Object]');
  });
});
