-- Small files keep their (encrypted) content in the database, in the
-- transaction that adds their version, rather than as a blob of their own.
ALTER TABLE versions ADD COLUMN inline BOOLEAN NOT NULL DEFAULT false;
CREATE TABLE inline_content (
	blob_key TEXT COLLATE "C" PRIMARY KEY,
	data     BYTEA NOT NULL
);
