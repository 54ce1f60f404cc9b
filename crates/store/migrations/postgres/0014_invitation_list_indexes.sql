-- Organisation-wide invitation lists and /results page by keyset (newest first, then id);
-- without these a page scans every invitation of the organisation.
CREATE INDEX invitations_org_created ON invitations (org_id, created_at, id);
CREATE INDEX invitations_org_completed ON invitations (org_id, completed_at, id);
