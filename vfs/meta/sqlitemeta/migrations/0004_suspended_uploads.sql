-- What uploads cut off by a dropped connection had received, kept for
-- their users to continue. Each row owns a committed blob. It applies
-- only while the file's current version is still base_version.
CREATE TABLE suspended_uploads (
	user_id   INTEGER NOT NULL,
	parent_id INTEGER NOT NULL,
	name      TEXT NOT NULL,
	blob_key  TEXT NOT NULL UNIQUE,
	size      INTEGER NOT NULL,
	key_id    TEXT NOT NULL DEFAULT '',
	-- the file's current version when the upload began; 0 for none
	base_version INTEGER NOT NULL DEFAULT 0,
	created   INTEGER NOT NULL,
	PRIMARY KEY (user_id, parent_id, name)
);
CREATE INDEX suspended_uploads_created ON suspended_uploads (created);
