export { openDatabase } from './client.js';
export type { Database, Db } from './client.js';
export { migrate, MIGRATIONS_DIR } from './migrate.js';
export { importPgliteData } from './import-pglite.js';
export type { SqlRunner, SqlExecutor } from './migrate.js';
export { Prisma } from './generated/client.js';
export type {
  User,
  ChatIdentity,
  Conversation,
  Message,
  Turn,
  TurnStep,
  ToolCall,
  Approval,
} from './generated/client.js';
export { ChatPlatform, MessageRole, UserRole } from './generated/enums.js';
