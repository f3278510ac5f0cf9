-- CreateTable
CREATE TABLE "TeamsConversation" (
    "conversationId" UUID NOT NULL,
    "tenantId" TEXT NOT NULL,
    "teamsConversationId" TEXT NOT NULL,
    "serviceUrl" TEXT NOT NULL,
    "reference" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "TeamsConversation_pkey" PRIMARY KEY ("conversationId")
);

-- CreateTable
CREATE TABLE "TeamsPost" (
    "id" UUID NOT NULL,
    "conversationId" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "ref" TEXT NOT NULL,
    "activityId" TEXT,
    "extraIds" TEXT[],
    "state" TEXT NOT NULL,
    "streamSequence" INTEGER NOT NULL DEFAULT 0,
    "streamStartedAt" TIMESTAMP(3),
    "leaseUntil" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "TeamsPost_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "TeamsPost_conversationId_kind_ref_key" ON "TeamsPost"("conversationId", "kind", "ref");
