-- Partner API credentials: partners (key + hashed secrets, lifecycle with audit, policy),
-- organisation API keys and personal access tokens, and Idempotency-Key records.

CREATE TABLE partners (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    contact        TEXT NOT NULL,
    -- The public half of the partner credential; the secret half lives hashed in credential_secrets.
    partner_key    TEXT NOT NULL UNIQUE,
    status         TEXT NOT NULL CHECK (status IN ('sandbox', 'in_review', 'live', 'suspended')),
    -- Space-separated `resource:read|write` scopes, or `*`.
    scopes         TEXT NOT NULL,
    rate_per_sec   INTEGER NOT NULL,
    rate_burst     INTEGER NOT NULL,
    -- Space-separated CIDR ranges; empty means any address.
    ip_allow       TEXT NOT NULL DEFAULT '',
    created_at     TEXT        NOT NULL,
    updated_at     TEXT        NOT NULL
);

CREATE TABLE partner_orgs (
    partner_id  TEXT NOT NULL REFERENCES partners(id),
    org_id      TEXT NOT NULL REFERENCES orgs(id),
    PRIMARY KEY (partner_id, org_id)
);

CREATE TABLE partner_audit (
    id          TEXT PRIMARY KEY,
    partner_id  TEXT NOT NULL REFERENCES partners(id),
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT,
    detail      TEXT NOT NULL DEFAULT '',
    at          TEXT        NOT NULL
);
CREATE INDEX partner_audit_partner ON partner_audit (partner_id, at);

-- Organisation API keys (user_id NULL: they belong to the organisation) and personal access
-- tokens (user_id set).
CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES orgs(id),
    user_id       TEXT REFERENCES users(id),
    name          TEXT NOT NULL,
    scopes        TEXT NOT NULL,
    expires_at    TEXT       ,
    revoked_at    TEXT       ,
    last_used_at  TEXT       ,
    created_by    TEXT,
    created_at    TEXT        NOT NULL
);
CREATE INDEX api_keys_org ON api_keys (org_id, created_at);

-- SHA-256 of every valid secret of a partner or API key. Rotation adds a new one and gives the
-- old one an expiry, so both work during the rotation window.
CREATE TABLE credential_secrets (
    secret_hash  TEXT PRIMARY KEY,
    owner_id     TEXT NOT NULL,
    created_at   TEXT        NOT NULL,
    expires_at   TEXT       
);
CREATE INDEX credential_secrets_owner ON credential_secrets (owner_id);

CREATE TABLE idempotency_keys (
    credential    TEXT NOT NULL,
    idem_key      TEXT NOT NULL,
    request_hash  TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('running', 'done')),
    status        INTEGER,
    content_type  TEXT,
    body          TEXT,
    created_at    TEXT        NOT NULL,
    PRIMARY KEY (credential, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
