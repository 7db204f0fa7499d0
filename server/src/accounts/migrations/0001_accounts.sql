-- Accounts, sessions, audit log, export requests. Times are i64 milliseconds since the epoch (UTC).
CREATE TABLE accounts (
    user_id       TEXT PRIMARY KEY NOT NULL,
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    id         TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL REFERENCES accounts(user_id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    address    TEXT
);
CREATE INDEX sessions_by_user ON sessions(user_id);
CREATE INDEX sessions_by_expiry ON sessions(expires_at);

CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      INTEGER NOT NULL,
    actor   TEXT,
    action  TEXT NOT NULL,
    target  TEXT,
    detail  TEXT NOT NULL,
    address TEXT
);
CREATE INDEX audit_by_actor ON audit_log(actor, id);
CREATE INDEX audit_by_action ON audit_log(action, id);
-- Append-only: the database itself refuses edits and deletions.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

CREATE TABLE export_requests (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    requested_by TEXT NOT NULL,
    kind         TEXT NOT NULL,
    reason       TEXT NOT NULL,
    status       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    decided_by   TEXT,
    decided_at   INTEGER
);
