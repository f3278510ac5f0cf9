-- AlterEnum
ALTER TYPE "ToolCallStatus" ADD VALUE 'not_run';

-- CreateTable
CREATE TABLE "TurnStep" (
    "id" UUID NOT NULL,
    "conversationId" UUID NOT NULL,
    "turnId" TEXT NOT NULL,
    "step" INTEGER NOT NULL,
    "model" TEXT,
    "promptTokens" INTEGER NOT NULL DEFAULT 0,
    "completionTokens" INTEGER NOT NULL DEFAULT 0,
    "costUsd" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "note" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "seq" INTEGER NOT NULL,

    CONSTRAINT "TurnStep_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "TurnStep_seq_key" ON "TurnStep"("seq");

-- CreateIndex
CREATE UNIQUE INDEX "TurnStep_conversationId_turnId_step_key" ON "TurnStep"("conversationId", "turnId", "step");

-- AddForeignKey
ALTER TABLE "TurnStep" ADD CONSTRAINT "TurnStep_conversationId_fkey" FOREIGN KEY ("conversationId") REFERENCES "Conversation"("id") ON DELETE CASCADE ON UPDATE CASCADE;
