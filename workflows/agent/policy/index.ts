// The approval policy: pure and deterministic, so the agent workflow can call it during replay.
export {
  classifyCall,
  summarize,
  DEFAULT_MODE,
  SANDBOX_INTEGRATION,
  SUMMARY_LIMIT,
} from './classify.js';
export type { PolicyCall, PolicyContext, PolicyDecision, PolicyMode } from './classify.js';
export { analyzeCommand } from './commands.js';
export type { CommandAnalysis, ProgramCall } from './commands.js';
export type { Effect } from './verdict.js';
