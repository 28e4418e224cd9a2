-- What uploads cut off by a dropped connection had received, kept for
-- their users to continue. Each row owns a committed blob. It applies
-- only while the file's current version is still base_version.
CREATE TABLE suspended_uploads (
	user_id   BIGINT NOT NULL,
	parent_id BIGINT NOT NULL,
	name      TEXT COLLATE "C" NOT NULL,
	blob_key  TEXT COLLATE "C" NOT NULL UNIQUE,
	size      BIGINT NOT NULL,
	key_id    TEXT NOT NULL DEFAULT '',
	-- the file's current version when the upload began; 0 for none
	base_version BIGINT NOT NULL DEFAULT 0,
	created   BIGINT NOT NULL,
	PRIMARY KEY (user_id, parent_id, name)
);
CREATE INDEX suspended_uploads_created ON suspended_uploads (created);
