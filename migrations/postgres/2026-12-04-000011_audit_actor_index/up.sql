-- The audit log is read by acting account too (GET /console/api/audit-events?actor=…, accountd audit --actor).
CREATE INDEX audit_events_actor ON audit_events (actor_account_id, at);
