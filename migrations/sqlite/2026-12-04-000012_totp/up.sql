-- Second factors: one TOTP secret per account (RFC 6238), sealed like access-key secrets, confirmed once a code
-- from it was entered; the last time step a code was accepted at, so that no code is accepted twice; and the
-- account's recovery codes, stored as keyed digests, each usable once.
CREATE TABLE account_totp (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    secret_ciphertext TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    confirmed_at TIMESTAMP,
    last_used_step BIGINT
);

CREATE TABLE account_recovery_codes (
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    code_digest TEXT NOT NULL,
    used_at TIMESTAMP,
    PRIMARY KEY (account_id, code_digest)
);
