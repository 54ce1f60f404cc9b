-- An Idempotency-Key in progress belongs to one request of one process (owner) and holds a lease
-- that request renews while it runs. A retry after the lease has lapsed (the process died, or the
-- database failed before the answer was recorded) takes the key over and runs, instead of being
-- told "in progress" until the key expires a day later. Rows from before this column read as
-- lapsed once they are older than a lease.
ALTER TABLE idempotency_keys ADD COLUMN owner TEXT;
ALTER TABLE idempotency_keys ADD COLUMN lease_until TIMESTAMPTZ;
