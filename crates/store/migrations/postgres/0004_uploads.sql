-- Resumable (tus 1.0) uploads of candidate answers, the parts staged in the object store while
-- an upload is in progress, and the answer takes a completed upload produces.

CREATE TABLE uploads (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES orgs(id),
    invitation_id TEXT NOT NULL REFERENCES invitations(id),
    question_id   TEXT NOT NULL,
    take          INTEGER NOT NULL,
    filetype      TEXT NOT NULL,
    filename      TEXT,
    upload_length BIGINT NOT NULL,
    upload_offset BIGINT NOT NULL DEFAULT 0,
    -- Upload-Metadata as sent at creation, without the candidate token.
    metadata      TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('uploading', 'complete', 'terminated')),
    -- A PATCH holds the upload with a lease (any instance may serve the next one).
    lock_token    TEXT,
    locked_until  TIMESTAMPTZ,
    media_key     TEXT NOT NULL,
    sha256        TEXT,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX uploads_invitation ON uploads (invitation_id, question_id, take);
CREATE INDEX uploads_expiry ON uploads (state, expires_at);

-- Byte ranges received and durably stored, one staging object each.
CREATE TABLE upload_parts (
    upload_id   TEXT NOT NULL REFERENCES uploads(id),
    part_offset BIGINT NOT NULL,
    size        BIGINT NOT NULL,
    object_key  TEXT NOT NULL,
    PRIMARY KEY (upload_id, part_offset)
);

CREATE TABLE answer_takes (
    org_id        TEXT NOT NULL REFERENCES orgs(id),
    invitation_id TEXT NOT NULL REFERENCES invitations(id),
    question_id   TEXT NOT NULL,
    take          INTEGER NOT NULL,
    media_key     TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size_bytes    BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    uploaded_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (invitation_id, question_id, take)
);
