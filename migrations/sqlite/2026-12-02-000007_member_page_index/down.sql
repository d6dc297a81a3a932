DROP INDEX group_members_newest;
CREATE INDEX group_members_newest ON group_members (group_id, created_at DESC, account_id);
