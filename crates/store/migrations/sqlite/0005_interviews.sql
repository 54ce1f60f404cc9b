-- The candidate's progress through an interview and the answers they submitted. Media answers
-- point at a take in answer_takes (0004); the bytes stay in the media store.

CREATE TABLE interview_progress (
    invitation_id     TEXT PRIMARY KEY REFERENCES invitations(id),
    org_id            TEXT NOT NULL REFERENCES orgs(id),
    -- The language the candidate chose (NULL: the template's).
    locale            TEXT,
    consent_at        TEXT,
    device_checked_at TEXT,
    practice_done_at  TEXT,
    completed_at      TEXT,
    updated_at        TEXT NOT NULL
);

-- One row per answered question or survey question; an answered item is never asked again.
CREATE TABLE interview_answers (
    org_id        TEXT NOT NULL REFERENCES orgs(id),
    invitation_id TEXT NOT NULL REFERENCES invitations(id),
    item_id       TEXT NOT NULL,
    section       TEXT NOT NULL CHECK (section IN ('question', 'survey')),
    -- The question's or survey question's kind when it was answered.
    kind          TEXT NOT NULL,
    text_value    TEXT,
    -- JSON array of the chosen choice ids (multiple choice) or options (surveys).
    choice_ids    TEXT,
    -- The submitted take of a recorded or uploaded answer.
    take          INTEGER,
    -- Auto-score of a multiple-choice answer (NULL when the question marks no correct choice).
    correct       BOOLEAN,
    skipped       BOOLEAN NOT NULL DEFAULT FALSE,
    answered_at   TEXT NOT NULL,
    PRIMARY KEY (invitation_id, item_id)
);
CREATE INDEX interview_answers_org ON interview_answers (org_id, invitation_id);
