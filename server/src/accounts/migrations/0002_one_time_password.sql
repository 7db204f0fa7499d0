-- A password set by someone else (the first-run setup password, one an admin created or reset) is one-time:
-- its user must choose their own before the relay serves them anything else.
ALTER TABLE accounts ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
