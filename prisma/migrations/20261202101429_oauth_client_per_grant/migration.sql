-- Each grant remembers the OAuth client it was issued to, and a registered client that was
-- replaced is kept (superseded) while grants use it: one re-registration no longer breaks
-- every user's refresh and revocation.

-- AlterTable
ALTER TABLE "Connection" ADD COLUMN     "oauthClientId" TEXT;

-- AlterTable
ALTER TABLE "OAuthState" ADD COLUMN     "oauthClientId" TEXT;

-- AlterTable
ALTER TABLE "OAuthClientRegistration" DROP CONSTRAINT "OAuthClientRegistration_pkey",
ADD COLUMN     "supersededAt" TIMESTAMP(3),
ADD CONSTRAINT "OAuthClientRegistration_pkey" PRIMARY KEY ("integrationId", "clientId");

-- Until now there was one registration per integration, and every OAuth grant and pending
-- authorization of a registered integration was made with it (an integration with a configured
-- client keeps a null id, which means the configured client).
UPDATE "Connection" AS c SET "oauthClientId" = r."clientId"
FROM "OAuthClientRegistration" AS r
WHERE r."integrationId" = c."integrationId" AND c."secret" IS NOT NULL AND c."oauthClientId" IS NULL;

UPDATE "OAuthState" AS s SET "oauthClientId" = r."clientId"
FROM "OAuthClientRegistration" AS r
WHERE r."integrationId" = s."integrationId" AND s."oauthClientId" IS NULL;
