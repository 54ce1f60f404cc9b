-- ATS connections of every kind in one table: what all connectors share is a column, what one
-- kind needs lives in `settings` (JSON, read by that connector). Existing iCIMS connections,
-- write-backs and request counts move here unchanged; iCIMS external references get the real
-- connection id instead of ''. Connection ids change prefix from icc_ to atc_ (they were only
-- shown on the operator's CLI).
CREATE TABLE ats_connections (
    id                  TEXT PRIMARY KEY,
    org_id              TEXT NOT NULL REFERENCES orgs(id),
    kind                TEXT NOT NULL,
    -- How inbound calls find their tenant when the credentials do not (iCIMS customer id).
    tenant_ref          TEXT NOT NULL,
    settings            TEXT NOT NULL DEFAULT '{}',
    -- Sealed with the server's secret key (secrets::Sealer): secrets we must present.
    secrets_sealed      TEXT,
    -- The public half of the credentials the ATS presents to us (client id, key id).
    inbound_user        TEXT,
    -- SHA-256 of the secret half (only ever compared).
    inbound_secret_hash TEXT,
    observer_user_id    TEXT NOT NULL REFERENCES users(id),
    caller_allowlist    TEXT,
    daily_budget        BIGINT NOT NULL DEFAULT 10000,
    -- What a second order for the same application and package does; NULL: the connector's default.
    dedup_policy        TEXT CHECK (dedup_policy IN ('reject', 'replay', 'reuse')),
    -- How long a completed result may answer a new order, under 'reuse'.
    reuse_days          BIGINT CHECK (reuse_days > 0),
    last_inbound_at     TIMESTAMPTZ,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    UNIQUE (org_id, kind),
    UNIQUE (kind, tenant_ref),
    UNIQUE (kind, inbound_user)
);

INSERT INTO ats_connections (id, org_id, kind, tenant_ref, settings, secrets_sealed, inbound_user,
    inbound_secret_hash, observer_user_id, caller_allowlist, daily_budget, created_at, updated_at)
SELECT 'atc' || substr(id, 4), org_id, 'icims', customer_id,
    json_build_object('region', region, 'api_base_url', api_base_url, 'outbound_auth_kind', outbound_auth_kind,
        'outbound_user', outbound_user, 'outbound_token_url', outbound_token_url,
        'inbound_auth_kind', inbound_auth_kind, 'trigger_statuses', trigger_statuses::json,
        'resend_status', resend_status, 'status_values', status_values::json)::text,
    outbound_secret_sealed, inbound_user, inbound_secret_hash, observer_user_id, caller_allowlist,
    daily_budget, created_at, updated_at
FROM icims_connections;

-- One row per invitation and ATS object it is written to (iCIMS applicant workflow, Greenhouse
-- instance URL; one invitation can stand for several when a result is reused), the handle we own there (iCIMS entry id), ordering, a short
-- lease, and a parked error an admin must look at.
CREATE TABLE ats_writebacks (
    invitation_id    TEXT NOT NULL REFERENCES invitations(id),
    org_id           TEXT NOT NULL REFERENCES orgs(id),
    connection_id    TEXT NOT NULL REFERENCES ats_connections(id),
    external_ref     TEXT NOT NULL,
    handle           TEXT,
    written_kind     TEXT,
    written_event_at TIMESTAMPTZ,
    locked_until     TIMESTAMPTZ,
    parked_kind      TEXT,
    parked_event_at  TIMESTAMPTZ,
    parked_error     TEXT,
    parked_at        TIMESTAMPTZ,
    updated_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (invitation_id, external_ref)
);
CREATE INDEX ats_writebacks_org_parked ON ats_writebacks (org_id, parked_at);
CREATE INDEX ats_writebacks_connection ON ats_writebacks (connection_id, updated_at);

INSERT INTO ats_writebacks (invitation_id, org_id, connection_id, external_ref, handle, written_kind,
    written_event_at, locked_until, parked_kind, parked_event_at, parked_error, parked_at, updated_at)
SELECT w.invitation_id, w.org_id, 'atc' || substr(c.id, 4), w.workflow_id, w.entry_id, w.written_kind, w.written_event_at,
    w.locked_until, w.parked_kind, w.parked_event_at, w.parked_error, w.parked_at, w.updated_at
FROM icims_writebacks w JOIN icims_connections c ON c.org_id = w.org_id;

CREATE TABLE ats_request_counts (
    connection_id TEXT NOT NULL REFERENCES ats_connections(id),
    day           TEXT NOT NULL,
    requests      BIGINT NOT NULL DEFAULT 0,
    warned_at     TIMESTAMPTZ,
    PRIMARY KEY (connection_id, day)
);
INSERT INTO ats_request_counts SELECT 'atc' || substr(connection_id, 4), day, requests, warned_at FROM icims_request_counts;

UPDATE external_refs SET connection_id = (SELECT 'atc' || substr(c.id, 4) FROM icims_connections c WHERE c.org_id = external_refs.org_id)
WHERE ats_kind = 'icims' AND connection_id = ''
  AND EXISTS (SELECT 1 FROM icims_connections c WHERE c.org_id = external_refs.org_id);

-- Inbound calls a connector answered with an error in its ATS's format (Greenhouse's
-- response_error reports, refused events), shown on the Integrations page.
CREATE TABLE ats_errors (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES orgs(id),
    connection_id TEXT NOT NULL REFERENCES ats_connections(id),
    call          TEXT NOT NULL,
    message       TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX ats_errors_connection ON ats_errors (connection_id, created_at);

DROP TABLE icims_request_counts;
DROP TABLE icims_writebacks;
DROP TABLE icims_connections;

-- Write-back jobs queued before the move run under the shared handler's name.
UPDATE jobs SET kind = 'ats.writeback' WHERE kind = 'icims.writeback';
