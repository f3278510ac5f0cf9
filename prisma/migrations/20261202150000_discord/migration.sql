-- CreateTable
CREATE TABLE "DiscordInteraction" (
    "id" TEXT NOT NULL,
    "eventId" TEXT NOT NULL,
    "conversationId" UUID NOT NULL,
    "applicationId" TEXT NOT NULL,
    "token" BYTEA NOT NULL,
    "event" JSONB NOT NULL,
    "deliveredAt" TIMESTAMP(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DiscordInteraction_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DiscordPost" (
    "id" UUID NOT NULL,
    "conversationId" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "ref" TEXT NOT NULL,
    "channelId" TEXT NOT NULL,
    "messageIds" TEXT[],
    "state" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "DiscordPost_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "DiscordInteraction_eventId_key" ON "DiscordInteraction"("eventId");

-- CreateIndex
CREATE INDEX "DiscordInteraction_deliveredAt_createdAt_idx" ON "DiscordInteraction"("deliveredAt", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "DiscordPost_conversationId_kind_ref_key" ON "DiscordPost"("conversationId", "kind", "ref");
