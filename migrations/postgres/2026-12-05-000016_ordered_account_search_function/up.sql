-- The ordered account search (openapi/v1 `q`, a common term of three characters or more) as a function, so that
-- Postgres plans its statement once per connection instead of once per search. Sent from the client, the
-- statement was planned anew for every search: its generic plan (the one a prepared statement can keep) is costed
-- above the plan for each pattern, so Postgres never switched to it, although both scan accounts_search_ordered.
-- Planning took more CPU than running it. PL/pgSQL keeps the plan of each statement in a function for the
-- session, and `plan_cache_mode = force_generic_plan` (for the function's statements only) keeps one plan for
-- every pattern.
--
-- account_search_ordered(pattern, n): the first n live accounts, oldest first, whose search text (the expression
-- of accounts_search_trgm and accounts_search_ordered) is LIKE pattern (with `\` as the escape). Ties in creation
-- time come out in no set order; the caller orders them (crates/db/src/repo/account_search.rs).
CREATE FUNCTION account_search_ordered(pattern text, n bigint) RETURNS SETOF accounts
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    RETURN QUERY
    SELECT * FROM accounts
    WHERE deleted_at IS NULL AND created_at > '-infinity'
      AND lower(coalesce(username, '') || ' ' || name || ' ' || coalesce(description, '') || ' ' || coalesce(phone, '') || ' ' || coalesce(email, '')) LIKE pattern ESCAPE '\'
    ORDER BY created_at <-> (SELECT min(created_at) FROM accounts)
    LIMIT n;
END
$$;
