ALTER TABLE verification_codes DROP COLUMN verified_at;
