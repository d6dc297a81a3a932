-- Which accounts were oidc through a sign-in link is not recorded: nothing to restore.
SELECT 1;
