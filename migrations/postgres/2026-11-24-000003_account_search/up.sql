-- Substring search over login name, nickname, description, phone and email (openapi/v1 `q`): a trigram GIN
-- index on the same lower-cased expression the search uses, for live accounts. pg_trgm is a trusted extension
-- (PostgreSQL 13+): the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX accounts_search_trgm ON accounts USING gin (
    lower(coalesce(username, '') || ' ' || name || ' ' || coalesce(description, '') || ' ' || coalesce(phone, '') || ' ' || coalesce(email, '')) gin_trgm_ops
) WHERE deleted_at IS NULL;
