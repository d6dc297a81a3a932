SELECT 1; -- the removed memberships of deleted accounts are not restored
