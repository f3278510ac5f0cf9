-- AlterTable
ALTER TABLE "Connection" ADD COLUMN     "sandboxKeyConsentAt" TIMESTAMP(3);

