package sftp

import "path"

// sessionPath turns a path as a client sent it into a vfs session path:
// absolute, clean, relative paths taken from the root, and ".." at the
// root staying at the root, as for a chrooted OpenSSH user. What remains
// (empty names cannot, but NUL, control characters or overlong names can)
// is for the vfs to refuse, with a message that says why.
func sessionPath(p string) string {
	return path.Clean("/" + p)
}
