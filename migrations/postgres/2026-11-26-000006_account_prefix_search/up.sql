-- One- and two-character search terms (openapi/v1 `q`) match the beginning of the login name, name, email or
-- phone: pattern-ordered indexes let a rare prefix be found without reading every account. Common prefixes are
-- found by walking `accounts_created` instead (see the search in crates/db/src/repo/accounts.rs).
CREATE INDEX accounts_username_prefix ON accounts (lower(username) text_pattern_ops) WHERE deleted_at IS NULL;
CREATE INDEX accounts_name_prefix ON accounts (lower(name) text_pattern_ops) WHERE deleted_at IS NULL;
CREATE INDEX accounts_email_prefix ON accounts (email_key text_pattern_ops) WHERE deleted_at IS NULL;
CREATE INDEX accounts_phone_prefix ON accounts (phone text_pattern_ops) WHERE deleted_at IS NULL;
