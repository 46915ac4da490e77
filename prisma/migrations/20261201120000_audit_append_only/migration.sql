-- The audit trail is append-only, enforced by the store itself: no UPDATE, DELETE or TRUNCATE of
-- "AuditEvent" gets through, except the three changes that keep an event's content as written:
--   * "actorId" set to NULL once its user is gone (ON DELETE SET NULL; "actorLabel" still names them),
--   * "incidentId" set to NULL once its incident is gone (ON DELETE SET NULL),
--   * "incidentId" set once from NULL: the diagnosis that opens an incident runs before the incident
--     exists, and its event then joins the incident's trail.
-- Every other column must stay exactly as it was. Ids never change, so ON UPDATE CASCADE never applies.
CREATE FUNCTION "AuditEvent_append_only"() RETURNS trigger
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
            OR OLD."incidentId" IS NULL
            OR (NEW."incidentId" IS NULL AND NOT EXISTS (SELECT 1 FROM "Incident" WHERE "id" = OLD."incidentId"))
        )
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit trail is append-only: % of audit event % refused', TG_OP, OLD."id";
END;
$$;

CREATE TRIGGER "AuditEvent_append_only_row"
    BEFORE UPDATE OR DELETE ON "AuditEvent"
    FOR EACH ROW EXECUTE FUNCTION "AuditEvent_append_only"();

CREATE TRIGGER "AuditEvent_append_only_truncate"
    BEFORE TRUNCATE ON "AuditEvent"
    FOR EACH STATEMENT EXECUTE FUNCTION "AuditEvent_append_only"();
