-- CreateEnum
CREATE TYPE "TurnStatus" AS ENUM ('queued', 'running', 'completed', 'failed', 'cancelled', 'step_limit', 'budget_exceeded');

-- CreateEnum
CREATE TYPE "ToolCallStatus" AS ENUM ('planned', 'invalid', 'awaiting_approval', 'running', 'completed', 'failed', 'denied', 'timed_out', 'cancelled', 'interrupted');

-- CreateEnum
CREATE TYPE "ApprovalStatus" AS ENUM ('pending', 'approved', 'denied', 'timed_out', 'cancelled');

-- CreateEnum
CREATE TYPE "BudgetScope" AS ENUM ('user', 'channel');

-- CreateEnum
CREATE TYPE "PolicyMode" AS ENUM ('ask-writes', 'ask-all', 'auto');

-- CreateTable
CREATE TABLE "Turn" (
    "id" UUID NOT NULL,
    "conversationId" UUID NOT NULL,
    "turnId" TEXT NOT NULL,
    "authorUserId" UUID NOT NULL,
    "channelKey" TEXT NOT NULL,
    "status" "TurnStatus" NOT NULL DEFAULT 'queued',
    "statusReason" TEXT,
    "steps" INTEGER NOT NULL DEFAULT 0,
    "promptTokens" INTEGER NOT NULL DEFAULT 0,
    "completionTokens" INTEGER NOT NULL DEFAULT 0,
    "costUsd" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "model" TEXT,
    "queuedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "seq" INTEGER NOT NULL,

    CONSTRAINT "Turn_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ToolCall" (
    "id" UUID NOT NULL,
    "conversationId" UUID NOT NULL,
    "turnId" TEXT NOT NULL,
    "step" INTEGER NOT NULL,
    "position" INTEGER NOT NULL,
    "llmCallId" TEXT NOT NULL,
    "tool" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "app" TEXT,
    "arguments" JSONB NOT NULL,
    "argumentsSealed" BYTEA,
    "summary" TEXT NOT NULL,
    "status" "ToolCallStatus" NOT NULL DEFAULT 'planned',
    "statusReason" TEXT,
    "integrations" TEXT[],
    "output" TEXT,
    "outputBytes" INTEGER,
    "exitCode" INTEGER,
    "isError" BOOLEAN NOT NULL DEFAULT false,
    "durationMs" INTEGER,
    "attempt" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "seq" INTEGER NOT NULL,

    CONSTRAINT "ToolCall_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Approval" (
    "id" UUID NOT NULL,
    "conversationId" UUID NOT NULL,
    "turnId" TEXT NOT NULL,
    "toolCallId" UUID NOT NULL,
    "tool" TEXT NOT NULL,
    "summary" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "requestedByUserId" UUID NOT NULL,
    "approverUserIds" TEXT[],
    "status" "ApprovalStatus" NOT NULL DEFAULT 'pending',
    "decidedByUserId" UUID,
    "decisionReason" TEXT,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "decidedAt" TIMESTAMP(3),
    "seq" INTEGER NOT NULL,

    CONSTRAINT "Approval_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Budget" (
    "id" UUID NOT NULL,
    "scope" "BudgetScope" NOT NULL,
    "subject" TEXT NOT NULL,
    "tokensPerDay" INTEGER,
    "costUsdPerDay" DOUBLE PRECISION,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Budget_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ChannelPolicy" (
    "channelKey" TEXT NOT NULL,
    "mode" "PolicyMode",
    "restrictIntegrations" BOOLEAN NOT NULL DEFAULT false,
    "allowedIntegrations" TEXT[],
    "approverUserIds" TEXT[],
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ChannelPolicy_pkey" PRIMARY KEY ("channelKey")
);

-- CreateTable
CREATE TABLE "IntegrationPolicy" (
    "integrationId" TEXT NOT NULL,
    "mode" "PolicyMode" NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "IntegrationPolicy_pkey" PRIMARY KEY ("integrationId")
);

-- CreateIndex
CREATE UNIQUE INDEX "Turn_seq_key" ON "Turn"("seq");

-- CreateIndex
CREATE INDEX "Turn_authorUserId_status_idx" ON "Turn"("authorUserId", "status");

-- CreateIndex
CREATE INDEX "Turn_authorUserId_queuedAt_idx" ON "Turn"("authorUserId", "queuedAt");

-- CreateIndex
CREATE INDEX "Turn_channelKey_queuedAt_idx" ON "Turn"("channelKey", "queuedAt");

-- CreateIndex
CREATE UNIQUE INDEX "Turn_conversationId_turnId_key" ON "Turn"("conversationId", "turnId");

-- CreateIndex
CREATE UNIQUE INDEX "ToolCall_seq_key" ON "ToolCall"("seq");

-- CreateIndex
CREATE INDEX "ToolCall_conversationId_turnId_idx" ON "ToolCall"("conversationId", "turnId");

-- CreateIndex
CREATE UNIQUE INDEX "Approval_toolCallId_key" ON "Approval"("toolCallId");

-- CreateIndex
CREATE UNIQUE INDEX "Approval_seq_key" ON "Approval"("seq");

-- CreateIndex
CREATE INDEX "Approval_conversationId_turnId_idx" ON "Approval"("conversationId", "turnId");

-- CreateIndex
CREATE UNIQUE INDEX "Budget_scope_subject_key" ON "Budget"("scope", "subject");

-- AddForeignKey
ALTER TABLE "Turn" ADD CONSTRAINT "Turn_conversationId_fkey" FOREIGN KEY ("conversationId") REFERENCES "Conversation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ToolCall" ADD CONSTRAINT "ToolCall_conversationId_fkey" FOREIGN KEY ("conversationId") REFERENCES "Conversation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Approval" ADD CONSTRAINT "Approval_conversationId_fkey" FOREIGN KEY ("conversationId") REFERENCES "Conversation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Approval" ADD CONSTRAINT "Approval_toolCallId_fkey" FOREIGN KEY ("toolCallId") REFERENCES "ToolCall"("id") ON DELETE CASCADE ON UPDATE CASCADE;

