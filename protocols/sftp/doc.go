// Package sftp serves the Strongroom filesystem over SFTP, so that people
// and scripts can use the SSH clients they already have: OpenSSH's sftp
// and scp, WinSCP, FileZilla, rclone, lftp, paramiko.
//
// A Server accepts SSH connections (golang.org/x/crypto/ssh), signs each
// user in through vfs.FS.Authenticate, opens one vfs.Session per
// connection, and answers the "sftp" subsystem with the request server of
// github.com/pkg/sftp. Every file operation becomes a call on that
// session, which authorizes it, does it and records it in the audit trail
// with the SSH session id and the client's address. The package holds no
// business rule and never touches a store.
//
// # Paths
//
// Each session is rooted at the user's home, as a chrooted OpenSSH user
// is: a client path, absolute or relative, is cleaned against "/", and
// ".." at the root stays at the root. realpath answers the cleaned
// absolute path. There are no symbolic links: creating one, or a hard
// link, is refused with SSH_FX_OP_UNSUPPORTED and a message saying so.
//
// # Uploads and downloads
//
// An upload streams into a vfs.Upload and becomes visible, as a new
// version, only when the client closes the handle and the commit
// succeeds; the reply to the close is sent after the commit, so a client
// that checks it (as OpenSSH's does) knows the file is durable. A handle
// left open when the connection ends is aborted: nothing of it is kept,
// so an upload cut off that way starts again from the beginning. A client
// that interrupts an upload and closes the handle itself (OpenSSH's sftp
// on Ctrl-C) commits what it sent, which it can then resume.
// Writes may arrive out of order and in parallel, as OpenSSH pipelines
// them. Opening an existing file without the truncate flag (OpenSSH's
// reput, the resume of WinSCP and FileZilla) continues the current
// version: writes at offset n keep its first n bytes.
//
// Downloads read through a small window per handle, so that the reads a
// client pipelines, which the request server answers in parallel and
// slightly out of order, share one stream from the blob store.
//
// # Extensions
//
// The server offers posix-rename@openssh.com (rename over an existing
// file), statvfs@openssh.com (the user's quota, or the store's free space
// when the operator supplies it), fsync@openssh.com and
// limits@openssh.com. fsync answers success on any open handle: content
// already stored is durable, and an upload is made durable by the commit
// at close, which the close reply confirms. hardlink@openssh.com is not
// offered and is refused if sent.
//
// # Errors
//
// A vfs error kind becomes an SFTP status: KindNotExist is
// SSH_FX_NO_SUCH_FILE, KindPermission SSH_FX_PERMISSION_DENIED,
// KindUnsupported SSH_FX_OP_UNSUPPORTED, and every other kind
// SSH_FX_FAILURE. The message is vfs.Error.Message, which names the
// operation, the path and the kind and nothing internal; causes go to the
// log only.
//
// # Security
//
// Key exchange, ciphers, MACs and host key signatures are limited to
// modern algorithms (curve25519 and ML-KEM hybrid key exchange, AES-GCM,
// ChaCha20-Poly1305, AES-CTR with encrypt-then-MAC SHA-2 MACs, Ed25519
// and RSA with SHA-2) so that ssh-audit finds nothing to flag. Host keys
// are created with mode 0600 and refused if others may read them.
//
// Unknown users, disabled users, wrong passwords and wrong keys all get
// the same failure after the same work; the vfs throttles an address
// after repeated failures and records every attempt. A public key offer
// is accepted before the client proves it holds the key, whoever the
// user, so that key probing tells nothing; the key is checked, and the
// attempt recorded, only after the signature is verified. A user who must
// present both a key and a password gets a partial success after the
// first.
//
// Every connection has bounds: a deadline to sign in, at most
// MaxSessions connections in all and MaxUserSessions per user, at most
// MaxTransfers open files and a fixed number of open handles per
// connection, packets of at most 256 KiB, and an idle timeout. Shell,
// exec (including legacy scp -O), port forwarding and agent forwarding
// are refused with a message that says to use SFTP.
package sftp
