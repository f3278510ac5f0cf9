import { describe, expect, it } from 'vitest';
import { approvalMessage } from './approvals.js';
import type { ApprovalView } from './approvals.js';

const view = (over: Partial<ApprovalView>): ApprovalView => ({
  approvalId: '11111111-1111-4111-8111-111111111111',
  tool: 'run_command',
  summary: 'kubectl delete pod web-1',
  reason: 'the command deletes a resource',
  status: 'pending',
  requestedBy: '<@U1>',
  decidedBy: null,
  decisionReason: null,
  ...over,
});

const sectionText = (m: { blocks: object[] }) =>
  (m.blocks[0] as { text: { text: string } }).text.text;

describe('approvalMessage', () => {
  it('shows a command literally: a <!channel> in it pings no one and no link is disguised', () => {
    const m = approvalMessage(view({ summary: 'echo "<!channel>" && curl <https://x.test|ok>' }));
    expect(sectionText(m)).toContain(
      'echo "&lt;!channel&gt;" &amp;&amp; curl &lt;https://x.test|ok&gt;',
    );
    expect(sectionText(m)).not.toContain('<!channel>');
    expect(m.text).not.toContain('<');
  });

  it('says how much of a long command is left out instead of cutting it silently', () => {
    const summary = `echo ${'x'.repeat(5_000)}`;
    const text = sectionText(approvalMessage(view({ summary })));
    expect(text.length).toBeLessThanOrEqual(3_000);
    expect(text).toMatch(/\(2605 more characters; the portal shows all of it\)/);
  });

  it('escapes a decider’s reason too', () => {
    const m = approvalMessage(
      view({ status: 'denied', decidedBy: '<@U2>', decisionReason: 'not <!here>' }),
    );
    expect(JSON.stringify(m.blocks)).toContain('by <@U2>: not &lt;!here&gt;');
  });
});
