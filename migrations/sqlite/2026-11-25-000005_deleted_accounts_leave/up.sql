-- A soft-deleted account is nobody's member (member lists and counts read the membership tables alone).
DELETE FROM group_members WHERE account_id IN (SELECT id FROM accounts WHERE deleted_at IS NOT NULL);
DELETE FROM tenant_members WHERE account_id IN (SELECT id FROM accounts WHERE deleted_at IS NOT NULL);
DELETE FROM dataset_members WHERE account_id IN (SELECT id FROM accounts WHERE deleted_at IS NOT NULL);
