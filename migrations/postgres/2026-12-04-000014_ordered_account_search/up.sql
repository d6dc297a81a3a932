-- A page of an account search (openapi/v1 `q`, three characters or more) lists its matches oldest first. The
-- trigram GIN index finds every match but in no order, so a term matching thousands of accounts had them all read
-- and sorted for 20. This GiST index holds each live account's creation time beside the trigrams of its search
-- text: a scan ordered by distance from the oldest creation time hands over matches oldest first and stops after
-- the page. (btree_gist gives GiST the timestamp; it is a trusted extension, PostgreSQL 13+.) Each leaf keeps the
-- account's trigrams themselves; `siglen` sizes the summaries of the inner pages, which let the scan skip runs
-- of accounts that cannot match. Its condition names `created_at > '-infinity'` (true of every account) so that
-- only the ordered search, which states it, uses this index: any other query over the search text goes to the GIN
-- index, as a scan of this one for a rare term reads all of it.
--
-- Which of the two indexes a search uses is decided from the statistics of the GIN index's expression (a term
-- the sample says is rare goes to the GIN index): its histogram becomes 1000 values instead of 100, from the
-- next ANALYZE on (migration 000015: an ANALYZE in the transaction that raises the target still takes 100).
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE INDEX accounts_search_ordered ON accounts USING gist (
    created_at,
    lower(coalesce(username, '') || ' ' || name || ' ' || coalesce(description, '') || ' ' || coalesce(phone, '') || ' ' || coalesce(email, '')) gist_trgm_ops(siglen = 256)
) WHERE deleted_at IS NULL AND created_at > '-infinity';
ALTER INDEX accounts_search_trgm ALTER COLUMN 1 SET STATISTICS 1000;
