-- Free metadata of an account set by the account-modify dialect (`extend`), a JSON object.
ALTER TABLE accounts ADD COLUMN extend TEXT NOT NULL DEFAULT '{}';
