-- Review: how the organisation lets people without an account see interviews, evaluations by
-- account users, the team's decision per invitation, and share links with their view log.

CREATE TABLE review_settings (
    org_id            TEXT PRIMARY KEY REFERENCES orgs(id),
    -- Who may open the interview URL without an account: nobody (the default), anyone holding
    -- the URL, or only holders of a share link.
    link_access       TEXT NOT NULL DEFAULT 'off' CHECK (link_access IN ('off', 'anyone_with_link', 'share_links_only')),
    -- Others' ratings stay hidden until the reviewer submitted their own.
    hide_until_submitted BOOLEAN NOT NULL DEFAULT TRUE,
    updated_at        TIMESTAMPTZ NOT NULL
);

-- One evaluation per reviewer and invitation; submitting again replaces it.
CREATE TABLE evaluations (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES orgs(id),
    invitation_id TEXT NOT NULL REFERENCES invitations(id),
    user_id       TEXT NOT NULL REFERENCES users(id),
    -- JSON: [{"question_id", "rating", "note"}] and [{"criterion_id", "rating"}].
    ratings       TEXT NOT NULL,
    criteria      TEXT NOT NULL,
    comment       TEXT NOT NULL,
    decision      TEXT CHECK (decision IN ('advance', 'hold', 'reject')),
    -- Mean of this evaluation's ratings (questions and criteria); NULL when nothing was rated.
    score         DOUBLE PRECISION,
    submitted_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (invitation_id, user_id)
);
CREATE INDEX evaluations_org ON evaluations (org_id, invitation_id);
CREATE INDEX evaluations_user ON evaluations (org_id, user_id);

-- The team's current decision on a candidate's invitation (latest evaluation or bulk decision).
CREATE TABLE review_decisions (
    invitation_id TEXT PRIMARY KEY REFERENCES invitations(id),
    org_id        TEXT NOT NULL REFERENCES orgs(id),
    decision      TEXT NOT NULL CHECK (decision IN ('advance', 'hold', 'reject')),
    decided_by    TEXT NOT NULL,
    decided_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE share_links (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES orgs(id),
    position_id      TEXT NOT NULL REFERENCES positions(id),
    -- SHA-256 of the 256-bit token; the token itself is shown once.
    token_hash       TEXT NOT NULL UNIQUE,
    label            TEXT NOT NULL,
    -- JSON arrays: the invitations shown and the question ids left out.
    invitation_ids   TEXT NOT NULL,
    hidden_questions TEXT NOT NULL,
    anonymised       BOOLEAN NOT NULL,
    -- SHA-256 of "<link id>:<code>", when an access code is asked for.
    access_code_hash TEXT,
    expires_at       TIMESTAMPTZ NOT NULL,
    revoked_at       TIMESTAMPTZ,
    created_by       TEXT NOT NULL REFERENCES users(id),
    created_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX share_links_position ON share_links (org_id, position_id, created_at);

CREATE TABLE share_link_views (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES orgs(id),
    share_link_id TEXT NOT NULL REFERENCES share_links(id),
    -- The candidate opened, or NULL for the list.
    invitation_id TEXT,
    ip            TEXT NOT NULL,
    user_agent    TEXT NOT NULL,
    at            TIMESTAMPTZ NOT NULL
);
CREATE INDEX share_link_views_link ON share_link_views (org_id, share_link_id, at);
