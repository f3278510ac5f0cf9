// The portal's contract with the API: zod schemas both sides import. Only zod and pure,
// Node-free modules may be imported here at run time (the browser bundles this folder).

export {
  authUser,
  sessionResponse,
  signInBody,
  signInLinkInfo,
  signInResponse,
  signInToken,
} from './session.js';
export type {
  AuthUserView,
  SessionResponse,
  SignInBody,
  SignInLinkInfo,
  SignInResponse,
} from './session.js';
export {
  MAX_MESSAGE_CHARS,
  conversationDetailResponse,
  conversationResponse,
  conversationSchema,
  conversationStreamEvents,
  createConversationBody,
  listConversationsQuery,
  listConversationsResponse,
  messageSchema,
  postMessageBody,
  approvalDecisionBody,
  approvalDecisionResponse,
  approvalSchema,
  cancelTurnResponse,
  stepNoteSchema,
  toolCallConnectionSchema,
  toolCallSchema,
  turnSchema,
} from './conversations.js';
export type {
  ApprovalDecisionBody,
  ApprovalView,
  StepNoteView,
  ToolCallConnection,
  ToolCallView,
  TurnView,
  ConversationDetailResponse,
  ConversationResponse,
  ConversationStreamEvent,
  ConversationView,
  ListConversationsResponse,
  MessageView,
  PostMessageBody,
} from './conversations.js';
export {
  connectBody,
  connectResponse,
  connectionState,
  disconnectResponse,
  integrationIdParams,
  integrationSchema,
  integrationsResponse,
  keysConnectResponse,
  oauthConnectResponse,
  providerConnectResponse,
  sandboxConsentBody,
  sandboxConsentResponse,
} from './integrations.js';
export type {
  ConnectBody,
  ConnectResponse,
  ConnectionStateView,
  DisconnectResponse,
  IntegrationView,
  IntegrationsResponse,
  ProviderConnectResponse,
  SandboxConsentResponse,
} from './integrations.js';
export {
  auditEventSchema,
  auditQuery,
  auditResponse,
  awsTrustResponse,
  cloudCredentialResponse,
  cloudCredentialSchema,
  cloudCredentialsResponse,
  gcpServiceAccountGrantSchema,
  gcpServiceAccountsResponse,
} from './cloud.js';
export type {
  AuditEventView,
  AuditResponse,
  AwsCredentialInput,
  AwsTrustResponse,
  CloudCredentialResponse,
  CloudCredentialView,
  CloudCredentialsResponse,
  GcpCredentialInput,
  GcpServiceAccountGrantView,
  GcpServiceAccountsResponse,
} from './cloud.js';
export { readinessResponse, statusPart, statusResponse } from './status.js';
export type { ReadinessResponse, StatusPart, StatusResponse } from './status.js';

/** Every error the API sends: `{error: {code, message}}`. */
export { errorBody } from './errors.js';
export type { ErrorBodyView } from './errors.js';
export {
  adminUsersResponse,
  budgetBody,
  budgetParams,
  budgetSchema,
  budgetsResponse,
  channelPoliciesResponse,
  channelPolicyBody,
  channelPolicyParams,
  channelPolicySchema,
  integrationPoliciesResponse,
  integrationPolicyBody,
  integrationPolicyParams,
  integrationPolicySchema,
  deletedResponse,
  policyModeSchema,
} from './admin.js';
export type {
  AdminUsersResponse,
  BudgetView,
  ChannelPolicyBody,
  ChannelPolicyView,
  PolicyModeName,
} from './admin.js';
