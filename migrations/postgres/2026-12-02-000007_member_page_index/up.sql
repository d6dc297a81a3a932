-- A member page (group members, account-ex list) reads its ids and roles from this index alone: with `role` in
-- it, an OFFSET skips index entries only, and the roles need no second visit to the table.
DROP INDEX group_members_newest;
CREATE INDEX group_members_newest ON group_members (group_id, created_at DESC, account_id, role);
