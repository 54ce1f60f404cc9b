-- Files uploaded for templates (logos, intro and prompt videos, documents). The bytes live in
-- the media store under the key; this row says which organisation owns them and what they are,
-- so downloads and template references can be checked.

CREATE TABLE media_objects (
    key          TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs(id),
    kind         TEXT NOT NULL CHECK (kind IN ('logo', 'intro_video', 'prompt_video', 'document')),
    content_type TEXT NOT NULL,
    size_bytes   BIGINT NOT NULL,
    created_by   TEXT REFERENCES users(id),
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX media_objects_org ON media_objects (org_id, created_at);
