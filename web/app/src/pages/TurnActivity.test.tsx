import { render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { StepNoteView, ToolCallView } from '../../../contract/index.js';
import { dropStep } from './Conversation.js';
import { TurnActivity } from './TurnActivity.js';
import { applyTurnEvent, turnsFromDetail } from './turn-state.js';
import type { TurnState } from './turn-state.js';

const at = '2026-12-02T05:00:00.000Z';

const call = (id: string, step: number, position: number, over: Partial<ToolCallView> = {}) =>
  ({
    id,
    seq: 10 + step * 2 + position,
    turnId: 't1',
    step,
    position,
    tool: 'run_command',
    kind: 'sandbox',
    app: null,
    arguments: {},
    summary: `cmd-${id}`,
    status: 'completed',
    statusReason: null,
    integrations: [],
    output: null,
    outputBytes: null,
    exitCode: 0,
    isError: false,
    durationMs: 5,
    network: null,
    attempt: 1,
    createdAt: at,
    startedAt: at,
    finishedAt: at,
    ...over,
  }) as ToolCallView;

const note = (step: number, content: string, seq = step * 2): StepNoteView => ({
  turnId: 't1',
  seq,
  step,
  stepId: `llm-${step}`,
  content,
  createdAt: at,
});

const turnWith = (toolCalls: ToolCallView[], notes: StepNoteView[]): TurnState =>
  turnsFromDetail([
    {
      turnId: 't1',
      seq: 1,
      status: 'step_limit',
      statusReason: 'The turn reached its limit of 2 steps.',
      authorUserId: 'u1',
      steps: 2,
      promptTokens: 0,
      completionTokens: 0,
      costUsd: 0,
      model: null,
      queuedAt: at,
      startedAt: at,
      finishedAt: at,
      toolCalls,
      approvals: [],
      notes,
    },
  ]).t1!;

const noDecide = { decide: async () => undefined };

describe("a turn's activity", () => {
  it("shows each step's note before that step's calls, and calls a limit stopped as not run", () => {
    const turn = turnWith(
      [
        call('a', 1, 0),
        call('b', 1, 1),
        call('c', 2, 0, {
          status: 'not_run',
          statusReason: 'Not run: the turn reached its limit of 2 steps.',
          exitCode: null,
          durationMs: null,
          startedAt: null,
        }),
      ],
      [note(1, "I'll check the pods first."), note(2, 'Now the logs.')],
    );
    render(<TurnActivity turn={turn} actions={noDecide} />);
    const shown = screen
      .getAllByTestId(/^(step-note|tool-call-.)$/)
      .map((el) =>
        el.dataset.testid === 'step-note' ? `note: ${el.textContent}` : el.dataset.testid,
      );
    expect(shown).toEqual([
      "note: I'll check the pods first.",
      'tool-call-a',
      'tool-call-b',
      'note: Now the logs.',
      'tool-call-c',
    ]);
    const stopped = within(screen.getByTestId('tool-call-c'));
    expect(stopped.getByText('not run')).toBeTruthy();
    expect(stopped.getByText('Not run: the turn reached its limit of 2 steps.')).toBeTruthy();
    expect(screen.queryByText('failed')).toBeNull();
  });

  it('takes a note from the event stream, and drops that step from the streaming text', () => {
    const turns = { t1: turnWith([], []) };
    const next = applyTurnEvent(turns, { event: 'note', data: note(1, 'Looking.') });
    expect(next.t1!.notes.map((n) => n.content)).toEqual(['Looking.']);
    // The same note again (a replay after reconnecting) is not shown twice.
    const again = applyTurnEvent(next, { event: 'note', data: note(1, 'Looking.') });
    expect(again.t1!.notes).toHaveLength(1);

    const live = {
      t1: { 'llm-1': { attempt: 1, text: 'Looking.' }, 'llm-2': { attempt: 1, text: 'Two' } },
    };
    expect(dropStep(live, 't1', 'llm-1')).toEqual({ t1: { 'llm-2': { attempt: 1, text: 'Two' } } });
  });
});
