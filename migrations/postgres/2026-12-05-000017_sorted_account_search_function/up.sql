-- A page of a rare account search term (openapi/v1 `q`, three characters or more, one the sample expects few
-- matches of) in one statement with a plan kept for the session, as migration 000016 did for common terms. The
-- server read every match's creation time and id from the trigram GIN index with a statement planned anew each
-- time, ordered them itself, and read the page's accounts with a second statement.
--
-- account_search_sorted(pattern, skip, n): the live accounts whose search text is LIKE pattern (with `\` as the
-- escape), ordered by creation time then id (byte order, as the server orders ids), n of them after the first
-- skip. The matches are read first (MATERIALIZED), so that the plan, made without knowing the pattern, cannot
-- choose to walk the accounts in creation order looking for them.
CREATE FUNCTION account_search_sorted(pattern text, skip bigint, n bigint) RETURNS SETOF accounts
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    RETURN QUERY
    WITH found AS MATERIALIZED (
        SELECT created_at, id FROM accounts
        WHERE deleted_at IS NULL
          AND lower(coalesce(username, '') || ' ' || name || ' ' || coalesce(description, '') || ' ' || coalesce(phone, '') || ' ' || coalesce(email, '')) LIKE pattern ESCAPE '\'
    ), page AS (
        SELECT id FROM found ORDER BY created_at, id COLLATE "C" LIMIT n OFFSET skip
    )
    SELECT a.* FROM accounts a JOIN page ON a.id = page.id
    ORDER BY a.created_at, a.id COLLATE "C";
END
$$;
