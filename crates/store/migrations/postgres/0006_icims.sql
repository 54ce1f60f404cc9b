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
    daily_budget            BIGINT NOT NULL DEFAULT 10000,
    created_at              TIMESTAMPTZ NOT NULL,
    updated_at              TIMESTAMPTZ NOT NULL
);

-- Where an ATS wants the candidate sent back after the interview (iCIMS returnUrl).
ALTER TABLE invitations ADD COLUMN return_url TEXT;

-- External refs may now name invitations too (iCIMS applicant workflow id).
ALTER TABLE external_refs DROP CONSTRAINT external_refs_entity_check;
ALTER TABLE external_refs ADD CONSTRAINT external_refs_entity_check
    CHECK (entity IN ('position', 'candidate', 'invitation'));
