-- CreateTable
CREATE TABLE "OAuthClientRegistration" (
    "integrationId" TEXT NOT NULL,
    "clientId" TEXT NOT NULL,
    "tokenAuth" TEXT NOT NULL,
    "redirectUri" TEXT NOT NULL,
    "secret" BYTEA,
    "secretKeyId" TEXT,
    "secretExpiresAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "OAuthClientRegistration_pkey" PRIMARY KEY ("integrationId")
);

