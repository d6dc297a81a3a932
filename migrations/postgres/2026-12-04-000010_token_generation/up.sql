-- Counts the revocations of an account's access tokens (password change, ban, closure, deletion). A token
-- carries the count it was issued under, so one issued before a revocation is refused even within the same
-- second, and one issued after it is accepted whatever the clocks of the instances say.
ALTER TABLE accounts ADD COLUMN token_generation BIGINT NOT NULL DEFAULT 0;
