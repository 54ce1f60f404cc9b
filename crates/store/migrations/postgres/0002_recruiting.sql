-- Templates (versioned documents), positions, candidates, invitations with their history, and
-- per-organisation settings and e-mail templates.

CREATE TABLE org_settings (
    org_id                TEXT PRIMARY KEY REFERENCES orgs(id),
    default_expiry_days   INTEGER NOT NULL DEFAULT 14,
    reminder_hours        TEXT NOT NULL DEFAULT '48,24',
    updated_at            TIMESTAMPTZ NOT NULL
);

CREATE TABLE templates (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES orgs(id),
    key             TEXT NOT NULL,
    current_version INTEGER NOT NULL,
    archived_at     TIMESTAMPTZ,
    created_by      TEXT REFERENCES users(id),
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (org_id, key)
);

CREATE TABLE template_versions (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs(id),
    template_id TEXT NOT NULL REFERENCES templates(id),
    version     INTEGER NOT NULL,
    name        TEXT NOT NULL,
    spec        TEXT NOT NULL,
    created_by  TEXT REFERENCES users(id),
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (template_id, version)
);

CREATE TABLE positions (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs(id),
    title      TEXT NOT NULL,
    owner_id   TEXT NOT NULL REFERENCES users(id),
    status     TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX positions_org ON positions (org_id, created_at);

CREATE TABLE position_templates (
    org_id      TEXT NOT NULL REFERENCES orgs(id),
    position_id TEXT NOT NULL REFERENCES positions(id),
    template_id TEXT NOT NULL REFERENCES templates(id),
    PRIMARY KEY (position_id, template_id)
);

CREATE TABLE candidates (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs(id),
    email      TEXT NOT NULL,
    name       TEXT NOT NULL,
    phone      TEXT,
    locale     TEXT,
    time_zone  TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (org_id, email)
);

-- External ids of positions and candidates in an ATS (kind + connection + id), searchable.
CREATE TABLE external_refs (
    org_id        TEXT NOT NULL REFERENCES orgs(id),
    entity        TEXT NOT NULL CHECK (entity IN ('position', 'candidate')),
    entity_id     TEXT NOT NULL,
    ats_kind      TEXT NOT NULL,
    connection_id TEXT NOT NULL DEFAULT '',
    external_id   TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, entity, ats_kind, connection_id, external_id)
);
CREATE INDEX external_refs_entity ON external_refs (org_id, entity, entity_id);

CREATE TABLE invitations (
    id                  TEXT PRIMARY KEY,
    org_id              TEXT NOT NULL REFERENCES orgs(id),
    candidate_id        TEXT NOT NULL REFERENCES candidates(id),
    position_id         TEXT NOT NULL REFERENCES positions(id),
    template_id         TEXT NOT NULL REFERENCES templates(id),
    template_version_id TEXT NOT NULL REFERENCES template_versions(id),
    round               INTEGER NOT NULL,
    state               TEXT NOT NULL CHECK (state IN ('created', 'sent', 'opened', 'started', 'completed', 'expired', 'cancelled', 'failed')),
    -- Set while the invitation blocks a duplicate (candidate, position, template, round).
    active_key          TEXT UNIQUE,
    token_hash          TEXT NOT NULL UNIQUE,
    link_nonce          TEXT NOT NULL,
    expires_at          TIMESTAMPTZ NOT NULL,
    delivery            TEXT NOT NULL CHECK (delivery IN ('queued', 'sent', 'failed')),
    delivery_error      TEXT,
    send_count          INTEGER NOT NULL DEFAULT 0,
    sent_at             TIMESTAMPTZ,
    opened_at           TIMESTAMPTZ,
    started_at          TIMESTAMPTZ,
    completed_at        TIMESTAMPTZ,
    metadata            TEXT NOT NULL DEFAULT '{}',
    created_by          TEXT REFERENCES users(id),
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX invitations_position ON invitations (org_id, position_id, created_at);
CREATE INDEX invitations_candidate ON invitations (org_id, candidate_id);

CREATE TABLE invitation_events (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES orgs(id),
    invitation_id TEXT NOT NULL REFERENCES invitations(id),
    kind          TEXT NOT NULL,
    from_state    TEXT,
    to_state      TEXT,
    actor         TEXT,
    detail        TEXT,
    at            TIMESTAMPTZ NOT NULL
);
CREATE INDEX invitation_events_inv ON invitation_events (org_id, invitation_id, at);

CREATE TABLE email_templates (
    org_id     TEXT NOT NULL REFERENCES orgs(id),
    kind       TEXT NOT NULL CHECK (kind IN ('invitation', 'reminder', 'resend')),
    subject    TEXT NOT NULL,
    text_body  TEXT NOT NULL,
    html_body  TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, kind)
);
