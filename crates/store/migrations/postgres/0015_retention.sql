-- Housekeeping deletes finished jobs and old webhook deliveries oldest first, in small batches;
-- without these each batch would scan every job of that state / every delivery.
CREATE INDEX jobs_finished ON jobs (state, finished_at) WHERE state IN ('done', 'dead');
CREATE INDEX webhook_deliveries_updated ON webhook_deliveries (updated_at);
