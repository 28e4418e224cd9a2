-- Small files keep their (encrypted) content in the database, in the
-- transaction that adds their version, rather than as a blob of their own.
ALTER TABLE versions ADD COLUMN inline INTEGER NOT NULL DEFAULT 0;
CREATE TABLE inline_content (
	blob_key TEXT PRIMARY KEY,
	data     BLOB NOT NULL
);
