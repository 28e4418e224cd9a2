-- Audit records name the client software and the protocol's request
-- (an HTTP method, an SFTP packet type) besides the protocol.
ALTER TABLE audit_events ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN request TEXT NOT NULL DEFAULT '';
