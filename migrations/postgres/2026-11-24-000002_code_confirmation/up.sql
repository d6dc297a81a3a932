-- A mailed code is entered (confirmed) before its token can be redeemed.
ALTER TABLE verification_codes ADD COLUMN verified_at TIMESTAMP;
