-- iCIMS write-back: per invitation linked to an applicant workflow, the assessmentresults entry we
-- own there (created once, then updated), the event last written (a retry of an older event must
-- never overwrite a newer status), a short lease that serialises write-backs of one invitation,
-- and the parked error an admin must look at (4xx from iCIMS: retried only on request).
CREATE TABLE icims_writebacks (
    invitation_id    TEXT PRIMARY KEY REFERENCES invitations(id),
    org_id           TEXT NOT NULL REFERENCES orgs(id),
    workflow_id      TEXT NOT NULL,
    entry_id         TEXT,
    written_kind     TEXT,
    written_event_at TIMESTAMPTZ,
    locked_until     TIMESTAMPTZ,
    parked_kind      TEXT,
    parked_event_at  TIMESTAMPTZ,
    parked_error     TEXT,
    parked_at        TIMESTAMPTZ,
    updated_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX icims_writebacks_org_parked ON icims_writebacks (org_id, parked_at);

-- Requests made to iCIMS per connection and UTC day, checked against the connection's daily budget.
CREATE TABLE icims_request_counts (
    connection_id TEXT NOT NULL REFERENCES icims_connections(id),
    day           TEXT NOT NULL,
    requests      BIGINT NOT NULL DEFAULT 0,
    warned_at     TIMESTAMPTZ,
    PRIMARY KEY (connection_id, day)
);
