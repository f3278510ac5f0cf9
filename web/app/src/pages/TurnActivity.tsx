import { useState } from 'react';
import type { ApprovalView, ToolCallView } from '../../../contract/index.js';
import { Badge, Button, messageOf } from '../components/ui.js';
import type { TurnState } from './turn-state.js';

type Tone = 'green' | 'amber' | 'zinc' | 'red';

const CALL_STATUS: Record<ToolCallView['status'], [string, Tone]> = {
  planned: ['planned', 'zinc'],
  invalid: ['invalid arguments', 'red'],
  awaiting_approval: ['waiting for approval', 'amber'],
  running: ['running', 'amber'],
  completed: ['done', 'green'],
  failed: ['failed', 'red'],
  denied: ['denied, not run', 'red'],
  timed_out: ['not decided in time, not run', 'zinc'],
  cancelled: ['cancelled', 'zinc'],
  interrupted: ['interrupted, may have partly run', 'red'],
  not_run: ['not run', 'zinc'],
};

const TURN_END: Partial<Record<TurnState['status'], string>> = {
  cancelled: 'Cancelled.',
  step_limit: 'Stopped at the step limit.',
  budget_exceeded: 'Stopped: a budget was reached.',
  failed: 'Ended with an error.',
};

const seconds = (ms: number) => (ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);

export interface TurnActions {
  decide(approvalId: string, decision: 'approve' | 'deny'): Promise<void>;
}

/**
 * What the agent did in one turn, in order: each tool call with its status, output and
 * timing, each approval (with Approve/Deny while it waits and the caller may decide), the step
 * running now, and how the turn ended and what it cost.
 */
export function TurnActivity({ turn, actions }: { turn: TurnState; actions: TurnActions }) {
  const approvalOf = (callId: string) => turn.approvals.find((a) => a.toolCallId === callId);
  const usage = turn.promptTokens + turn.completionTokens;
  const ended = TURN_END[turn.status];
  const noteOf = (step: number) => turn.notes.find((n) => n.step === step);
  // A step's note goes before its first call; a note whose calls are not known yet, last.
  const steps = new Set(turn.toolCalls.map((c) => c.step));
  const loose = turn.notes.filter((n) => !steps.has(n.step));
  if (
    !turn.toolCalls.length &&
    !turn.notes.length &&
    !turn.activeStep &&
    !ended &&
    !usage &&
    !turn.queuePosition
  )
    return null;
  return (
    <li
      className="space-y-2 border-l-2 border-zinc-200 pl-3 text-sm dark:border-zinc-700"
      aria-label="What the agent did"
      data-testid={`turn-${turn.turnId}`}
    >
      {turn.queuePosition ? (
        <p className="text-zinc-500" role="status">
          Waiting for your other requests to finish (position {turn.queuePosition}).
        </p>
      ) : null}
      {turn.toolCalls.map((call, i) => {
        const note = turn.toolCalls[i - 1]?.step === call.step ? undefined : noteOf(call.step);
        return (
          <div key={call.id} className="space-y-2">
            {note ? <StepNote content={note.content} /> : null}
            <ToolCallItem
              call={call}
              approval={approvalOf(call.id)}
              tail={turn.outputTails[call.id]}
              actions={actions}
            />
          </div>
        );
      })}
      {loose.map((n) => (
        <StepNote key={n.stepId} content={n.content} />
      ))}
      {turn.activeStep ? (
        <p className="text-zinc-500" role="status" aria-live="polite">
          <span className="mr-1 animate-pulse" aria-hidden>
            ●
          </span>
          {turn.activeStep.label}…
        </p>
      ) : null}
      {ended ? (
        <p className="text-zinc-600 dark:text-zinc-400">
          {ended}
          {turn.statusReason ? ` ${turn.statusReason}` : ''}
        </p>
      ) : null}
      {usage ? (
        <p className="text-xs text-zinc-500">
          {usage.toLocaleString()} tokens ({turn.promptTokens.toLocaleString()} in,{' '}
          {turn.completionTokens.toLocaleString()} out) · about ${turn.costUsd.toFixed(4)}
        </p>
      ) : null}
    </li>
  );
}

/** What the agent said before a step's tool calls, e.g. "I'll check the pods first". */
function StepNote({ content }: { content: string }) {
  return (
    <p className="whitespace-pre-wrap text-zinc-700 dark:text-zinc-300" data-testid="step-note">
      {content}
    </p>
  );
}

function ToolCallItem(props: {
  call: ToolCallView;
  approval: ApprovalView | undefined;
  tail: string | undefined;
  actions: TurnActions;
}) {
  const { call, approval } = props;
  const [label, tone] = CALL_STATUS[call.status];
  const output = call.output ?? props.tail ?? null;
  return (
    <div
      className="rounded-md border border-zinc-200 p-2 dark:border-zinc-700"
      data-testid={`tool-call-${call.id}`}
    >
      <div className="flex flex-wrap items-center gap-2">
        <code className="font-mono text-xs break-all">{call.summary || call.tool}</code>
        <Badge tone={tone}>{label}</Badge>
        {call.exitCode !== null ? (
          <span className="text-xs text-zinc-500">exit {call.exitCode}</span>
        ) : null}
        {call.durationMs !== null ? (
          <span className="text-xs text-zinc-500">{seconds(call.durationMs)}</span>
        ) : null}
        {call.attempt > 1 ? (
          <span className="text-xs text-zinc-500">attempt {call.attempt}</span>
        ) : null}
      </div>
      {call.integrations.length ? (
        <p className="mt-1 text-xs text-zinc-500">as you, with {call.integrations.join(', ')}</p>
      ) : null}
      {call.statusReason ? <p className="mt-1 text-xs text-zinc-500">{call.statusReason}</p> : null}
      {approval ? <ApprovalItem approval={approval} actions={props.actions} /> : null}
      {call.network?.connections.length ? <Connections network={call.network} /> : null}
      {output ? (
        <details className="mt-1" open={call.status === 'running'}>
          <summary className="cursor-pointer text-xs text-indigo-600 dark:text-indigo-400">
            Output
            {call.outputBytes !== null ? ` (${call.outputBytes.toLocaleString()} bytes)` : ''}
          </summary>
          <pre className="mt-1 max-h-80 overflow-auto rounded bg-zinc-950 p-2 text-xs whitespace-pre-wrap text-zinc-100">
            {output}
          </pre>
        </details>
      ) : null}
    </div>
  );
}

/** What the command reached through its sandbox's egress proxy, and what it was refused. */
function Connections({ network }: { network: NonNullable<ToolCallView['network']> }) {
  const refused = network.connections.filter((c) => !c.allowed).length;
  return (
    <details className="mt-1" open={refused > 0}>
      <summary className="cursor-pointer text-xs text-indigo-600 dark:text-indigo-400">
        Network ({network.connections.length + network.dropped} connections
        {refused ? `, ${refused} refused` : ''})
      </summary>
      <ul className="mt-1 space-y-0.5 font-mono text-xs" aria-label="Network connections">
        {network.connections.map((c, i) => (
          <li
            key={i}
            className={
              c.allowed ? 'text-zinc-600 dark:text-zinc-400' : 'text-red-700 dark:text-red-300'
            }
          >
            {hostPort(c.host, c.port)} {c.allowed ? 'allowed' : 'refused'}
            {c.reason ? ` (${c.reason})` : ''}
          </li>
        ))}
        {network.dropped ? (
          <li className="text-zinc-500">and {network.dropped.toLocaleString()} more, not kept</li>
        ) : null}
      </ul>
    </details>
  );
}

const hostPort = (host: string, port: number) =>
  host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;

const DECIDED: Record<Exclude<ApprovalView['status'], 'pending'>, string> = {
  approved: 'Approved',
  denied: 'Denied',
  timed_out: 'Nobody decided in time',
  cancelled: 'Closed with the turn',
};

function ApprovalItem({ approval, actions }: { approval: ApprovalView; actions: TurnActions }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const decide = async (decision: 'approve' | 'deny') => {
    setBusy(true);
    setError(null);
    try {
      await actions.decide(approval.id, decision);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  if (approval.status !== 'pending') {
    return (
      <p className="mt-1 text-xs text-zinc-600 dark:text-zinc-400">
        {DECIDED[approval.status]}
        {approval.decisionReason ? `: ${approval.decisionReason}` : ''}
      </p>
    );
  }
  return (
    <div
      className="mt-2 rounded bg-amber-50 p-2 text-xs text-amber-950 dark:bg-amber-950 dark:text-amber-100"
      role="group"
      aria-label="Approval needed"
    >
      <p>
        <strong>Approval needed:</strong> {approval.reason}
      </p>
      {approval.canDecide ? (
        <div className="mt-2 flex gap-2">
          <Button tone="primary" disabled={busy} onClick={() => void decide('approve')}>
            Approve
          </Button>
          <Button tone="danger" disabled={busy} onClick={() => void decide('deny')}>
            Deny
          </Button>
        </div>
      ) : (
        <p className="mt-1">Waiting for someone who may approve it.</p>
      )}
      {error ? (
        <p className="mt-1 text-red-700 dark:text-red-300" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}
