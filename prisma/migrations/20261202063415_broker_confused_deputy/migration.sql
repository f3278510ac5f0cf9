-- CreateTable
CREATE TABLE "AwsExternalId" (
    "userId" UUID NOT NULL,
    "externalId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AwsExternalId_pkey" PRIMARY KEY ("userId")
);

-- CreateTable
CREATE TABLE "GcpServiceAccountGrant" (
    "id" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "serviceAccount" TEXT NOT NULL,
    "createdById" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "GcpServiceAccountGrant_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "AwsExternalId_externalId_key" ON "AwsExternalId"("externalId");

-- CreateIndex
CREATE UNIQUE INDEX "GcpServiceAccountGrant_userId_serviceAccount_key" ON "GcpServiceAccountGrant"("userId", "serviceAccount");

-- AddForeignKey
ALTER TABLE "AwsExternalId" ADD CONSTRAINT "AwsExternalId_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GcpServiceAccountGrant" ADD CONSTRAINT "GcpServiceAccountGrant_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GcpServiceAccountGrant" ADD CONSTRAINT "GcpServiceAccountGrant_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;


-- Data: external ids users chose for their AWS roles are no longer used (the broker now always
-- sends the user's server-issued id from "AwsExternalId"), so their sealed copies are erased.
-- The credentials stay; each works again once its role's trust policy names the new id.
UPDATE "CloudCredential" SET "secret" = NULL, "secretKeyId" = NULL WHERE "provider" = 'aws';
