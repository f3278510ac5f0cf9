-- AlterTable
ALTER TABLE "ToolCall" ADD COLUMN     "network" JSONB;
