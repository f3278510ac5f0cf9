-- CreateTable
CREATE TABLE "SlackInstallation" (
    "id" UUID NOT NULL,
    "installKey" TEXT NOT NULL,
    "teamId" TEXT,
    "enterpriseId" TEXT,
    "botUserId" TEXT,
    "secret" BYTEA NOT NULL,
    "secretKeyId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "SlackInstallation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SlackPost" (
    "id" UUID NOT NULL,
    "conversationId" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "ref" TEXT NOT NULL,
    "teamId" TEXT NOT NULL,
    "channelId" TEXT NOT NULL,
    "threadTs" TEXT,
    "ts" TEXT,
    "extraTs" TEXT[],
    "state" TEXT NOT NULL,
    "leaseUntil" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "SlackPost_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SlackPendingEvent" (
    "eventId" TEXT NOT NULL,
    "event" JSONB NOT NULL,
    "teamId" TEXT NOT NULL,
    "readThread" BOOLEAN NOT NULL DEFAULT false,
    "rootText" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SlackPendingEvent_pkey" PRIMARY KEY ("eventId")
);

-- CreateIndex
CREATE UNIQUE INDEX "SlackInstallation_installKey_key" ON "SlackInstallation"("installKey");

-- CreateIndex
CREATE INDEX "SlackPost_teamId_channelId_ts_idx" ON "SlackPost"("teamId", "channelId", "ts");

-- CreateIndex
CREATE UNIQUE INDEX "SlackPost_conversationId_kind_ref_key" ON "SlackPost"("conversationId", "kind", "ref");

