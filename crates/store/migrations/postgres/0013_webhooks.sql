-- Outbound webhooks (Standard Webhooks): endpoints per organisation, optionally owned by a
-- partner; deliveries with a frozen body and message id; every attempt recorded.

CREATE TABLE webhook_endpoints (
    id                     TEXT PRIMARY KEY,
    org_id                 TEXT NOT NULL REFERENCES orgs(id),
    -- Set: the endpoint belongs to this partner (in this organisation) and only it sees it.
    partner_id             TEXT REFERENCES partners(id),
    url                    TEXT NOT NULL,
    description            TEXT NOT NULL DEFAULT '',
    -- Space-separated event types (invitation.completed …).
    events                 TEXT NOT NULL,
    -- Signing secrets, sealed (Sealer "webhooks/signing-secret"); the previous one stays valid
    -- until previous_expires_at after a rotation.
    secret_sealed          TEXT NOT NULL,
    previous_secret_sealed TEXT,
    previous_expires_at    TIMESTAMPTZ,
    enabled                BOOLEAN NOT NULL DEFAULT TRUE,
    disabled_reason        TEXT,
    disabled_at            TIMESTAMPTZ,
    -- First failed attempt since the last success; cleared by a success or a manual re-enable.
    failing_since          TIMESTAMPTZ,
    -- `usr_…` of the creator, or the credential label (`apikey:…`, `partner:…`).
    created_by             TEXT NOT NULL,
    created_at             TIMESTAMPTZ NOT NULL,
    updated_at             TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhook_endpoints_org ON webhook_endpoints (org_id, created_at);

CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES orgs(id),
    endpoint_id      TEXT NOT NULL REFERENCES webhook_endpoints(id),
    -- The `webhook-id` (msg_…): the same for every attempt and manual redelivery.
    msg_id           TEXT NOT NULL UNIQUE,
    event_type       TEXT NOT NULL,
    -- The invitation event (evt_…) it carries; NULL for test pings. One delivery per endpoint
    -- and event, however often the dispatch job runs.
    event_id         TEXT,
    body             TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('pending', 'succeeded', 'failed', 'cancelled')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (org_id, endpoint_id, created_at);

CREATE TABLE webhook_attempts (
    delivery_id      TEXT NOT NULL REFERENCES webhook_deliveries(id),
    org_id           TEXT NOT NULL REFERENCES orgs(id),
    attempt          INTEGER NOT NULL,
    at               TIMESTAMPTZ NOT NULL,
    -- The HTTP status, or NULL when there was none (timeout, refused connection, SSRF refusal).
    status           INTEGER,
    error            TEXT,
    response_ms      INTEGER NOT NULL,
    response_excerpt TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (delivery_id, attempt)
);
