-- CreateEnum
CREATE TYPE "Role" AS ENUM ('VIEWER', 'OPERATOR', 'APPROVER', 'ADMIN');

-- CreateEnum
CREATE TYPE "AuthMethod" AS ENUM ('KEY', 'PASSWORD', 'AGENT');

-- CreateEnum
CREATE TYPE "ServiceManager" AS ENUM ('PG_CTL', 'SYSTEMD');

-- CreateEnum
CREATE TYPE "IncidentStatus" AS ENUM ('OPEN', 'CLOSED');

-- CreateEnum
CREATE TYPE "IncidentOutcome" AS ENUM ('RECOVERED', 'ABORTED', 'NEEDS_REBOOT', 'ESCALATED', 'FALSE_ALARM');

-- CreateEnum
CREATE TYPE "StepStatus" AS ENUM ('PROPOSED', 'APPROVED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'REFUSED', 'SKIPPED', 'EXPIRED', 'INTERRUPTED');

-- CreateEnum
CREATE TYPE "OutputStream" AS ENUM ('STDOUT', 'STDERR', 'SYSTEM');

-- CreateTable
CREATE TABLE "User" (
    "id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "role" "Role" NOT NULL DEFAULT 'VIEWER',
    "passwordHash" TEXT,
    "disabledAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Credential" (
    "id" TEXT NOT NULL,
    "kind" "AuthMethod" NOT NULL,
    "keyId" TEXT NOT NULL,
    "sealed" BYTEA NOT NULL,
    "publicFingerprint" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Credential_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Host" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "port" INTEGER NOT NULL DEFAULT 22,
    "sshUser" TEXT NOT NULL,
    "becomeUser" TEXT,
    "authMethod" "AuthMethod" NOT NULL,
    "credentialId" TEXT,
    "hostKeyAlgorithm" TEXT,
    "hostKeyFingerprint" TEXT,
    "hostKey" BYTEA,
    "hostKeyPinnedAt" TIMESTAMP(3),
    "hostKeyPinnedById" TEXT,
    "hostKeyMismatchAt" TIMESTAMP(3),
    "hostKeyMismatchFingerprint" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Host_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Instance" (
    "id" TEXT NOT NULL,
    "hostId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "dataDir" TEXT NOT NULL,
    "binDir" TEXT,
    "serviceManager" "ServiceManager" NOT NULL DEFAULT 'PG_CTL',
    "serviceName" TEXT,
    "logFile" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Instance_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Snapshot" (
    "id" TEXT NOT NULL,
    "instanceId" TEXT NOT NULL,
    "incidentId" TEXT,
    "takenById" TEXT,
    "takenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "probeVersion" TEXT NOT NULL,
    "rawStdout" TEXT NOT NULL,
    "rawStderr" TEXT NOT NULL,
    "exitCode" INTEGER,
    "parsed" JSONB NOT NULL,
    "verdict" TEXT NOT NULL,
    "evidence" JSONB NOT NULL,
    "recommendedRung" INTEGER,
    "materialHash" TEXT NOT NULL,
    "durationMs" INTEGER NOT NULL,
    "timings" JSONB NOT NULL,
    "sshExecs" INTEGER NOT NULL,

    CONSTRAINT "Snapshot_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Incident" (
    "id" TEXT NOT NULL,
    "instanceId" TEXT NOT NULL,
    "activeInstanceId" TEXT,
    "title" TEXT NOT NULL,
    "status" "IncidentStatus" NOT NULL DEFAULT 'OPEN',
    "outcome" "IncidentOutcome",
    "summary" TEXT,
    "openedById" TEXT,
    "closedById" TEXT,
    "openedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "closedAt" TIMESTAMP(3),

    CONSTRAINT "Incident_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Step" (
    "id" TEXT NOT NULL,
    "incidentId" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "rung" INTEGER NOT NULL,
    "action" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "commands" TEXT NOT NULL,
    "commandHash" TEXT NOT NULL,
    "rationale" TEXT NOT NULL,
    "destroys" TEXT NOT NULL,
    "expected" TEXT NOT NULL,
    "futility" TEXT,
    "status" "StepStatus" NOT NULL DEFAULT 'PROPOSED',
    "plannedFromId" TEXT NOT NULL,
    "snapshotHash" TEXT NOT NULL,
    "requestedById" TEXT,
    "approvedById" TEXT,
    "approvedAt" TIMESTAMP(3),
    "approvalExpiresAt" TIMESTAMP(3),
    "confirmation" TEXT,
    "skipReason" TEXT,
    "evidence" JSONB,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "exitCode" INTEGER,
    "error" TEXT,
    "resultSnapshotId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Step_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "StepOutput" (
    "id" BIGSERIAL NOT NULL,
    "stepId" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "stream" "OutputStream" NOT NULL,
    "data" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "StepOutput_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AuditEvent" (
    "id" BIGSERIAL NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actorId" TEXT,
    "actorLabel" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "targetType" TEXT,
    "targetId" TEXT,
    "incidentId" TEXT,
    "details" JSONB NOT NULL DEFAULT '{}',
    "ip" TEXT,

    CONSTRAINT "AuditEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");

-- CreateIndex
CREATE UNIQUE INDEX "Host_name_key" ON "Host"("name");

-- CreateIndex
CREATE UNIQUE INDEX "Instance_hostId_dataDir_key" ON "Instance"("hostId", "dataDir");

-- CreateIndex
CREATE UNIQUE INDEX "Instance_hostId_name_key" ON "Instance"("hostId", "name");

-- CreateIndex
CREATE INDEX "Snapshot_instanceId_takenAt_idx" ON "Snapshot"("instanceId", "takenAt");

-- CreateIndex
CREATE INDEX "Snapshot_incidentId_idx" ON "Snapshot"("incidentId");

-- CreateIndex
CREATE UNIQUE INDEX "Incident_activeInstanceId_key" ON "Incident"("activeInstanceId");

-- CreateIndex
CREATE INDEX "Incident_status_openedAt_idx" ON "Incident"("status", "openedAt");

-- CreateIndex
CREATE INDEX "Incident_instanceId_openedAt_idx" ON "Incident"("instanceId", "openedAt");

-- CreateIndex
CREATE INDEX "Step_status_idx" ON "Step"("status");

-- CreateIndex
CREATE UNIQUE INDEX "Step_incidentId_seq_key" ON "Step"("incidentId", "seq");

-- CreateIndex
CREATE UNIQUE INDEX "StepOutput_stepId_seq_key" ON "StepOutput"("stepId", "seq");

-- CreateIndex
CREATE INDEX "AuditEvent_at_idx" ON "AuditEvent"("at");

-- CreateIndex
CREATE INDEX "AuditEvent_incidentId_at_idx" ON "AuditEvent"("incidentId", "at");

-- CreateIndex
CREATE INDEX "AuditEvent_targetType_targetId_idx" ON "AuditEvent"("targetType", "targetId");

-- AddForeignKey
ALTER TABLE "Host" ADD CONSTRAINT "Host_credentialId_fkey" FOREIGN KEY ("credentialId") REFERENCES "Credential"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Host" ADD CONSTRAINT "Host_hostKeyPinnedById_fkey" FOREIGN KEY ("hostKeyPinnedById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Instance" ADD CONSTRAINT "Instance_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Snapshot" ADD CONSTRAINT "Snapshot_instanceId_fkey" FOREIGN KEY ("instanceId") REFERENCES "Instance"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Snapshot" ADD CONSTRAINT "Snapshot_incidentId_fkey" FOREIGN KEY ("incidentId") REFERENCES "Incident"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Snapshot" ADD CONSTRAINT "Snapshot_takenById_fkey" FOREIGN KEY ("takenById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Incident" ADD CONSTRAINT "Incident_instanceId_fkey" FOREIGN KEY ("instanceId") REFERENCES "Instance"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Incident" ADD CONSTRAINT "Incident_activeInstanceId_fkey" FOREIGN KEY ("activeInstanceId") REFERENCES "Instance"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Incident" ADD CONSTRAINT "Incident_openedById_fkey" FOREIGN KEY ("openedById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Incident" ADD CONSTRAINT "Incident_closedById_fkey" FOREIGN KEY ("closedById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Step" ADD CONSTRAINT "Step_incidentId_fkey" FOREIGN KEY ("incidentId") REFERENCES "Incident"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Step" ADD CONSTRAINT "Step_plannedFromId_fkey" FOREIGN KEY ("plannedFromId") REFERENCES "Snapshot"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Step" ADD CONSTRAINT "Step_requestedById_fkey" FOREIGN KEY ("requestedById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Step" ADD CONSTRAINT "Step_approvedById_fkey" FOREIGN KEY ("approvedById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Step" ADD CONSTRAINT "Step_resultSnapshotId_fkey" FOREIGN KEY ("resultSnapshotId") REFERENCES "Snapshot"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StepOutput" ADD CONSTRAINT "StepOutput_stepId_fkey" FOREIGN KEY ("stepId") REFERENCES "Step"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AuditEvent" ADD CONSTRAINT "AuditEvent_actorId_fkey" FOREIGN KEY ("actorId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AuditEvent" ADD CONSTRAINT "AuditEvent_incidentId_fkey" FOREIGN KEY ("incidentId") REFERENCES "Incident"("id") ON DELETE SET NULL ON UPDATE CASCADE;
