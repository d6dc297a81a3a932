DROP TABLE account_recovery_codes;
DROP TABLE account_totp;
