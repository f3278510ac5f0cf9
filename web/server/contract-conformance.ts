// Compile-time proof that what the server sends is what the portal's contract (web/contract)
// says: each view type the routes return must be assignable to the contract's type. No code
// runs; `tsc` fails here when a route's answer and the contract drift apart.
import type {
  AuditEventView as BrokerAuditEvent,
  CloudCredentialView as BrokerCredential,
  CredentialBroker,
  GcpServiceAccountGrantView as BrokerGrant,
} from '../../broker/index.js';
import type {
  IntegrationStatus,
  ProviderConnectLink,
} from '../../integrations/connections/index.js';
import type {
  AuditEventView,
  AwsTrustResponse,
  CloudCredentialView,
  GcpServiceAccountGrantView,
  ConversationView,
  IntegrationView,
  MessageView,
  ProviderConnectResponse,
  StepNoteView,
  TurnView,
} from '../contract/index.js';
import type {
  conversationView,
  messageView,
  stepNoteView,
  turnView,
} from './routes/conversation-views.js';

type Assignable<From extends To, To> = [From, To];

export type Conformance = [
  Assignable<IntegrationStatus, IntegrationView>,
  Assignable<ProviderConnectLink, ProviderConnectResponse>,
  Assignable<BrokerCredential, CloudCredentialView>,
  Assignable<BrokerAuditEvent, AuditEventView>,
  Assignable<Awaited<ReturnType<CredentialBroker['awsTrust']>>, AwsTrustResponse>,
  Assignable<BrokerGrant, GcpServiceAccountGrantView>,
  Assignable<ReturnType<typeof conversationView>, ConversationView>,
  Assignable<ReturnType<typeof messageView>, MessageView>,
  Assignable<ReturnType<typeof stepNoteView>, StepNoteView>,
  Assignable<ReturnType<typeof turnView>, TurnView>,
];
