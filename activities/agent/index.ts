export { agentStep } from './llm-step.js';
export type {
  AgentStepDeps,
  AgentStepInput,
  AgentStepResult,
  PlannedCall,
  PlannedTarget,
  Usage,
} from './llm-step.js';
export { claimTurnSlot, finishTurn, startTurn, channelKeyOf } from './turns.js';
export type { FinishTurnInput, PolicyModeName, SlotClaim, TurnPlan } from './turns.js';
export {
  listFilesCall,
  mcpCall,
  readFileCall,
  runCommandCall,
  writeFileCall,
} from './tool-runs.js';
export type { ToolRunDeps, ToolRunInput, ToolRunResult } from './tool-runs.js';
export { recordApprovalDecision, requestApproval, settleToolCall } from './approvals.js';
export type { DecideApprovalRecordInput, RequestApprovalInput } from './approvals.js';
export { deliverReply, showApproval } from './front-ends.js';
export type { FrontEnds } from './front-ends.js';
export { DEFAULT_PRICES, PriceTable } from './prices.js';
export type { ModelPrice } from './prices.js';
export { checkBudgets, dayStart } from './budgets.js';
export { redactText, redactValue, REDACTED } from './redact.js';
export { SANDBOX_TOOL_NAMES, sandboxLlmTools } from './sandbox-tools.js';
export { headAndTail, commandOutputForLlm } from './tool-output.js';
