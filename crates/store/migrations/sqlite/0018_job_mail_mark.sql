-- A job that sends an e-mail marks it 'sending' before the SMTP call and 'sent' together with the
-- effect it records. After a crash the next attempt reads the mark: 'sent' means nothing is left
-- to send, 'sending' means it is a re-send and goes out with the same Message-ID (the job's id),
-- so receiving servers and mail programs can drop the copy.
ALTER TABLE jobs ADD COLUMN mail_state TEXT CHECK (mail_state IN ('sending', 'sent'));
