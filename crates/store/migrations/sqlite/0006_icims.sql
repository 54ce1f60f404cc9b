-- iCIMS connections: one per organisation, routed on the iCIMS customer id.
CREATE TABLE icims_connections (
    id                      TEXT PRIMARY KEY,
    org_id                  TEXT NOT NULL UNIQUE REFERENCES orgs(id),
    customer_id             TEXT NOT NULL UNIQUE,
    region                  TEXT NOT NULL CHECK (region IN ('us', 'eu')),
    -- Simulators and tests only; NULL means the region's host.
    api_base_url            TEXT,
    outbound_auth_kind      TEXT NOT NULL CHECK (outbound_auth_kind IN ('basic', 'oauth')),
    outbound_user           TEXT NOT NULL,
    -- Sealed with the server's secret key (secrets::Sealer): we must present it, so it cannot be a hash.
    outbound_secret_sealed  TEXT NOT NULL,
    outbound_token_url      TEXT,
    inbound_auth_kind       TEXT NOT NULL CHECK (inbound_auth_kind IN ('basic', 'oauth')),
    inbound_user            TEXT NOT NULL UNIQUE,
    -- SHA-256 of a generated 256-bit secret (it is only ever compared).
    inbound_secret_hash     TEXT NOT NULL,
    trigger_statuses        TEXT NOT NULL DEFAULT '[]',
    resend_status           TEXT,
    status_values           TEXT NOT NULL DEFAULT '{}',
    observer_user_id        TEXT NOT NULL REFERENCES users(id),
    caller_allowlist        TEXT,
    daily_budget            INTEGER NOT NULL DEFAULT 10000,
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL
);

-- Where an ATS wants the candidate sent back after the interview (iCIMS returnUrl).
ALTER TABLE invitations ADD COLUMN return_url TEXT;

-- External refs may now name invitations too (iCIMS applicant workflow id). SQLite cannot
-- alter a CHECK constraint, so the table is rebuilt with the same rows.
CREATE TABLE external_refs_new (
    org_id        TEXT NOT NULL REFERENCES orgs(id),
    entity        TEXT NOT NULL CHECK (entity IN ('position', 'candidate', 'invitation')),
    entity_id     TEXT NOT NULL,
    ats_kind      TEXT NOT NULL,
    connection_id TEXT NOT NULL DEFAULT '',
    external_id   TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (org_id, entity, ats_kind, connection_id, external_id)
);
INSERT INTO external_refs_new SELECT org_id, entity, entity_id, ats_kind, connection_id, external_id, created_at FROM external_refs;
DROP TABLE external_refs;
ALTER TABLE external_refs_new RENAME TO external_refs;
CREATE INDEX external_refs_entity ON external_refs (org_id, entity, entity_id);
