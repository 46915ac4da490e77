-- Least privilege for the console's own store role, and the audit trail's last loose end.
--
-- 1. Only a diagnosis's event may join an incident afterwards, and only the incident its snapshot belongs to: the
--    opening diagnosis runs before its incident exists. Any other event keeps the incident it was written with.
-- 2. "pgrescue_grant_console"(role): what the console's role may do, granted by the owner after every migration
--    run (the launcher does it; after `prisma migrate deploy` run it by hand). The console reads everything and
--    writes only what it writes: no DELETE or TRUNCATE of the audit trail, no UPDATE of it but the incident link,
--    no DELETE of incidents, steps, their output, diagnoses, users or tokens, nothing on the migrations table.
--    Not owning the tables, it cannot disable the trigger or drop it, and not being a superuser it cannot set
--    session_replication_role.
-- 3. API tokens are personal from now on: tokens that an admin created for somebody else are revoked, and the
--    revocation is recorded.

CREATE OR REPLACE FUNCTION "AuditEvent_append_only"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        RAISE EXCEPTION 'the audit trail is append-only: TRUNCATE "AuditEvent" refused';
    END IF;
    IF TG_OP = 'UPDATE'
        AND NEW."id" = OLD."id"
        AND NEW."at" = OLD."at"
        AND NEW."actorLabel" = OLD."actorLabel"
        AND NEW."action" = OLD."action"
        AND NEW."targetType" IS NOT DISTINCT FROM OLD."targetType"
        AND NEW."targetId" IS NOT DISTINCT FROM OLD."targetId"
        AND NEW."details" = OLD."details"
        AND NEW."ip" IS NOT DISTINCT FROM OLD."ip"
        AND (
            NEW."actorId" IS NOT DISTINCT FROM OLD."actorId"
            OR (NEW."actorId" IS NULL AND NOT EXISTS (SELECT 1 FROM "User" WHERE "id" = OLD."actorId"))
        )
        AND (
            NEW."incidentId" IS NOT DISTINCT FROM OLD."incidentId"
            OR (
                OLD."incidentId" IS NULL
                AND OLD."action" = 'diagnosis.run'
                AND EXISTS (
                    SELECT 1 FROM "Snapshot"
                    WHERE "id" = OLD."details" ->> 'snapshotId' AND "incidentId" = NEW."incidentId"
                )
            )
            OR (NEW."incidentId" IS NULL AND NOT EXISTS (SELECT 1 FROM "Incident" WHERE "id" = OLD."incidentId"))
        )
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit trail is append-only: % of audit event % refused', TG_OP, OLD."id";
END;
$$;

CREATE FUNCTION "pgrescue_grant_console"(console_role TEXT) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    s TEXT := current_schema();
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', s, console_role);
    EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM %I', s, console_role);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA %I TO %I', s, console_role);
    -- rows the console removes: sessions at sign-out, used setup links, expired rate-limit windows, a host's old
    -- credential, the demo's host and instance and its setting
    EXECUTE format(
        'GRANT DELETE ON %1$I."Session", %1$I."Verification", %1$I."RateLimit", %1$I."Credential", %1$I."Setting", %1$I."Host", %1$I."Instance" TO %2$I',
        s, console_role);
    EXECUTE format('REVOKE UPDATE ON %I."AuditEvent" FROM %I', s, console_role);
    EXECUTE format('GRANT UPDATE ("incidentId") ON %I."AuditEvent" TO %I', s, console_role);
    EXECUTE format('REVOKE INSERT, UPDATE ON %I."_prisma_migrations" FROM %I', s, console_role);
    EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM %I', s, console_role);
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO %I', s, console_role);
END;
$$;

REVOKE ALL ON FUNCTION "pgrescue_grant_console"(TEXT) FROM PUBLIC;

WITH "revoked" AS (
    UPDATE "ApiToken" AS t SET "revokedAt" = CURRENT_TIMESTAMP
    WHERE t."revokedAt" IS NULL
      AND EXISTS (
          SELECT 1 FROM "AuditEvent" AS e
          WHERE e."action" = 'token.create' AND e."targetId" = t."id"
            AND e."actorId" IS DISTINCT FROM t."userId"
      )
    RETURNING t."id", t."userId"
)
INSERT INTO "AuditEvent" ("actorLabel", "action", "targetType", "targetId", "details")
SELECT 'migration 20261202150000_least_privilege', 'token.revoke', 'ApiToken', "id",
       jsonb_build_object('userId', "userId", 'reason', 'created by somebody else: API tokens are personal')
FROM "revoked";
