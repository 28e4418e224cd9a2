-- The first schema. Times are nanoseconds since the Unix epoch, 0 for
-- none; booleans are 0 or 1; text compares by bytes (BINARY).

CREATE TABLE nodes (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	parent_id  INTEGER REFERENCES nodes (id),
	tenant_id  INTEGER NOT NULL DEFAULT 0,
	name       TEXT NOT NULL,
	is_dir     INTEGER NOT NULL,
	version_id INTEGER NOT NULL DEFAULT 0,
	size       INTEGER NOT NULL DEFAULT 0,
	mime_type  TEXT NOT NULL DEFAULT '',
	mod_time   INTEGER NOT NULL,
	created    INTEGER NOT NULL,
	deleted    INTEGER NOT NULL DEFAULT 0,
	deleted_at INTEGER NOT NULL DEFAULT 0
);
-- Live names are unique in a folder; this index also pages listings.
CREATE UNIQUE INDEX nodes_live_name ON nodes (parent_id, name) WHERE NOT deleted;
INSERT INTO nodes (id, parent_id, name, is_dir, mod_time, created) VALUES (1, NULL, '', 1, 0, 0);

CREATE TABLE versions (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	node_id      INTEGER NOT NULL REFERENCES nodes (id),
	blob_key     TEXT NOT NULL,
	size         INTEGER NOT NULL,
	sha256       BLOB,
	mime_type    TEXT NOT NULL DEFAULT '',
	key_id       TEXT NOT NULL DEFAULT '',
	created_by   INTEGER NOT NULL DEFAULT 0,
	created_name TEXT NOT NULL DEFAULT '',
	created      INTEGER NOT NULL,
	restored_from INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX versions_node ON versions (node_id, id);
CREATE INDEX versions_blob ON versions (blob_key);

CREATE TABLE tenants (
	id      INTEGER PRIMARY KEY AUTOINCREMENT,
	name    TEXT NOT NULL UNIQUE,
	root_id INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE users (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	name          TEXT NOT NULL UNIQUE,
	tenant_id     INTEGER NOT NULL DEFAULT 0,
	password_hash TEXT NOT NULL DEFAULT '',
	disabled      INTEGER NOT NULL DEFAULT 0,
	admin         INTEGER NOT NULL DEFAULT 0,
	home_id       INTEGER NOT NULL DEFAULT 0,
	quota_bytes   INTEGER NOT NULL DEFAULT 0,
	used_bytes    INTEGER NOT NULL DEFAULT 0,
	require_both  INTEGER NOT NULL DEFAULT 0,
	created       INTEGER NOT NULL
);

CREATE TABLE groups (
	id        INTEGER PRIMARY KEY AUTOINCREMENT,
	name      TEXT NOT NULL UNIQUE,
	tenant_id INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE group_members (
	group_id INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
	user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE ssh_keys (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	fingerprint TEXT NOT NULL,
	key_line    TEXT NOT NULL,
	comment     TEXT NOT NULL DEFAULT '',
	UNIQUE (user_id, fingerprint)
);

CREATE TABLE app_tokens (
	id        INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name      TEXT NOT NULL DEFAULT '',
	hash      BLOB NOT NULL UNIQUE,
	created   INTEGER NOT NULL,
	last_used INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX app_tokens_user ON app_tokens (user_id);

-- A grant's subject is a user or a group, never both.
CREATE TABLE grants (
	id       INTEGER PRIMARY KEY AUTOINCREMENT,
	node_id  INTEGER NOT NULL REFERENCES nodes (id),
	user_id  INTEGER REFERENCES users (id) ON DELETE CASCADE,
	group_id INTEGER REFERENCES groups (id) ON DELETE CASCADE,
	actions  INTEGER NOT NULL,
	CHECK ((user_id IS NULL) <> (group_id IS NULL))
);
CREATE UNIQUE INDEX grants_node_user ON grants (node_id, user_id) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX grants_node_group ON grants (node_id, group_id) WHERE group_id IS NOT NULL;
CREATE INDEX grants_user ON grants (user_id);
CREATE INDEX grants_group ON grants (group_id);

CREATE TABLE policy_generation (
	id         INTEGER PRIMARY KEY CHECK (id = 1),
	generation INTEGER NOT NULL
);
INSERT INTO policy_generation (id, generation) VALUES (1, 0);

CREATE TABLE audit_events (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	chain       INTEGER NOT NULL,
	seq         INTEGER NOT NULL,
	time        INTEGER NOT NULL,
	tenant      TEXT NOT NULL,
	user_name   TEXT NOT NULL,
	op          TEXT NOT NULL,
	path        TEXT NOT NULL,
	target      TEXT NOT NULL,
	version     TEXT NOT NULL,
	bytes       INTEGER NOT NULL,
	protocol    TEXT NOT NULL,
	remote_addr TEXT NOT NULL,
	session_id  TEXT NOT NULL,
	outcome     TEXT NOT NULL,
	reason      TEXT NOT NULL,
	prev_hash   BLOB,
	hash        BLOB NOT NULL,
	UNIQUE (chain, seq)
);
CREATE INDEX audit_events_user ON audit_events (user_name, id);
CREATE INDEX audit_events_time ON audit_events (time);
CREATE INDEX audit_events_path ON audit_events (path);

-- One row per chain, created when the store opens.
CREATE TABLE audit_heads (
	chain INTEGER PRIMARY KEY,
	seq   INTEGER NOT NULL,
	hash  BLOB
);

CREATE TABLE locks (
	token      TEXT PRIMARY KEY,
	path       TEXT NOT NULL,
	user_id    INTEGER NOT NULL,
	deep       INTEGER NOT NULL,
	shared     INTEGER NOT NULL,
	owner      TEXT NOT NULL,
	timeout_ns INTEGER NOT NULL,
	expires    INTEGER NOT NULL
);
CREATE INDEX locks_path ON locks (path);
CREATE INDEX locks_expires ON locks (expires);

CREATE TABLE props (
	node_id INTEGER NOT NULL REFERENCES nodes (id),
	space   TEXT NOT NULL,
	name    TEXT NOT NULL,
	xml     TEXT NOT NULL,
	PRIMARY KEY (node_id, space, name)
);
