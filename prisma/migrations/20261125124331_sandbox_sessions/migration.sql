-- CreateEnum
CREATE TYPE "SandboxStatus" AS ENUM ('running', 'closed');

-- CreateTable
CREATE TABLE "SandboxSession" (
    "id" UUID NOT NULL,
    "conversationId" UUID NOT NULL,
    "provider" TEXT NOT NULL,
    "sandboxId" TEXT NOT NULL,
    "status" "SandboxStatus" NOT NULL DEFAULT 'running',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "closedAt" TIMESTAMP(3),

    CONSTRAINT "SandboxSession_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "SandboxSession_conversationId_key" ON "SandboxSession"("conversationId");

-- CreateIndex
CREATE INDEX "SandboxSession_status_lastUsedAt_idx" ON "SandboxSession"("status", "lastUsedAt");

