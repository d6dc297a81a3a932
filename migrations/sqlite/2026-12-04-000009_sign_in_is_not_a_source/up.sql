-- A sign-in link through a provider is not an external id: an account without one has the source local.
UPDATE accounts SET source = 'local' WHERE source = 'oidc' AND external_id IS NULL;
