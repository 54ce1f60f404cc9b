-- Notifications to recruiters (issue 9): preferences per user and organisation, followers of a
-- position, completions waiting for a digest, the digests sent (one per user and local date),
-- and Web Push subscriptions with the server's VAPID key.

CREATE TABLE notify_prefs (
    org_id          TEXT NOT NULL REFERENCES orgs(id),
    user_id         TEXT NOT NULL REFERENCES users(id),
    -- How completions reach this user.
    completions     TEXT NOT NULL CHECK (completions IN ('immediate', 'daily', 'weekly', 'off')),
    -- Weekly digests: 0 = Monday … 6 = Sunday.
    weekday         INTEGER NOT NULL DEFAULT 0 CHECK (weekday BETWEEN 0 AND 6),
    -- Local time of day of the digest, 'HH:MM', in time_zone (IANA).
    local_time      TEXT NOT NULL DEFAULT '08:00',
    time_zone       TEXT NOT NULL DEFAULT 'UTC',
    -- A digest with nothing new is sent (saying so) or skipped.
    send_empty      BOOLEAN NOT NULL DEFAULT FALSE,
    prior_invites   BOOLEAN NOT NULL DEFAULT TRUE,
    email_failed    BOOLEAN NOT NULL DEFAULT TRUE,
    -- Comma-separated event kinds that are also pushed to the user's browsers.
    push_kinds      TEXT NOT NULL DEFAULT '',
    -- Digests are due only for local dates whose digest time is at or after this instant, so
    -- choosing a digest does not send yesterday's at once.
    effective_from  TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (org_id, user_id)
);

CREATE TABLE position_followers (
    org_id      TEXT NOT NULL REFERENCES orgs(id),
    position_id TEXT NOT NULL REFERENCES positions(id),
    user_id     TEXT NOT NULL REFERENCES users(id),
    created_at  TEXT NOT NULL,
    PRIMARY KEY (position_id, user_id)
);
CREATE INDEX position_followers_user ON position_followers (org_id, user_id);

-- One row per completion and digest recipient until a digest takes it (digest_id set).
CREATE TABLE notify_pending (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES orgs(id),
    user_id       TEXT NOT NULL REFERENCES users(id),
    invitation_id TEXT NOT NULL REFERENCES invitations(id),
    event_id      TEXT NOT NULL,
    occurred_at   TEXT NOT NULL,
    digest_id     TEXT,
    created_at    TEXT NOT NULL,
    UNIQUE (user_id, event_id)
);
CREATE INDEX notify_pending_open ON notify_pending (org_id, user_id, digest_id);

-- The durable "sent once" record: one digest per user, organisation and local date.
CREATE TABLE notify_digests (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs(id),
    user_id     TEXT NOT NULL REFERENCES users(id),
    local_date  TEXT NOT NULL,
    frequency   TEXT NOT NULL,
    items       INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (org_id, user_id, local_date)
);

CREATE TABLE push_subscriptions (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs(id),
    user_id     TEXT NOT NULL REFERENCES users(id),
    endpoint    TEXT NOT NULL UNIQUE,
    p256dh      TEXT NOT NULL,
    auth        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX push_subscriptions_user ON push_subscriptions (org_id, user_id);

-- Installation-wide keys made at first start (the VAPID key pair).
CREATE TABLE server_keys (
    name        TEXT PRIMARY KEY,
    public_key  TEXT NOT NULL,
    private_key TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
