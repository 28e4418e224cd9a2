package vfs

import (
	"io/fs"
	"strconv"
	"time"

	"strongroom/policy"
	"strongroom/vfs/meta"
)

// SessionInfo says where a session comes from, for the audit trail.
type SessionInfo struct {
	Protocol   string // "sftp", "webdav", "web", "api", "cli"
	RemoteAddr string // host:port of the client
	SessionID  string // the protocol's own id for the connection or login
	UserAgent  string // client software, where the protocol tells
	Request    string // the request being served: an HTTP method, say
}

// FileInfo describes a file or folder as one user sees it. It implements
// io/fs.FileInfo, so protocols built on os.FileInfo can use it directly.
type FileInfo struct {
	name      string
	path      string
	isDir     bool
	size      int64
	modTime   time.Time
	created   time.Time
	versionID int64
	mimeType  string
	allowed   policy.Actions
	nodeID    int64
}

func newFileInfo(n *meta.Node, p string, allowed policy.Actions) *FileInfo {
	return &FileInfo{
		name: n.Name, path: p, isDir: n.IsDir, size: n.Size,
		modTime: n.ModTime, created: n.Created, versionID: n.VersionID,
		mimeType: n.MIMEType, allowed: allowed, nodeID: n.ID,
	}
}

// Name is the last element of the path; "/" for the session's root.
func (fi *FileInfo) Name() string {
	if fi.path == "/" {
		return "/"
	}
	return fi.name
}

// Path is the session path of the item.
func (fi *FileInfo) Path() string { return fi.path }

// Size is the size of the current version in bytes; zero for folders.
func (fi *FileInfo) Size() int64 { return fi.size }

// IsDir reports whether the item is a folder.
func (fi *FileInfo) IsDir() bool { return fi.isDir }

// ModTime is the modification time, as a client set it or as of the last
// change.
func (fi *FileInfo) ModTime() time.Time { return fi.modTime }

// Created is when the item was first made.
func (fi *FileInfo) Created() time.Time { return fi.created }

// Mode reports a folder as 0755 and a file as 0644, or 0444 and 0555 when
// the user may not write there; the store keeps no POSIX modes.
func (fi *FileInfo) Mode() fs.FileMode {
	mode := fs.FileMode(0o644)
	if fi.isDir {
		mode = fs.ModeDir | 0o755
	}
	if !fi.allowed.Has(policy.Write) {
		mode &^= 0o222
	}
	return mode
}

// Sys returns nil.
func (fi *FileInfo) Sys() any { return nil }

// VersionID identifies the current content of a file; it changes exactly
// when the content does. Empty for folders.
func (fi *FileInfo) VersionID() string {
	if fi.isDir || fi.versionID == 0 {
		return ""
	}
	return strconv.FormatInt(fi.versionID, 10)
}

// MIMEType is the content type detected at upload.
func (fi *FileInfo) MIMEType() string { return fi.mimeType }

// Allowed is what the user may do with the item.
func (fi *FileInfo) Allowed() policy.Actions { return fi.allowed }

// A Version is one past or current content of a file.
type Version struct {
	ID           string
	Size         int64
	SHA256       []byte
	MIMEType     string
	CreatedBy    string
	Created      time.Time
	Current      bool
	RestoredFrom string // the version this one restored, if any
}

func newVersion(v *meta.Version, current int64) Version {
	out := Version{
		ID: strconv.FormatInt(v.ID, 10), Size: v.Size, SHA256: v.SHA256,
		MIMEType: v.MIMEType, CreatedBy: v.CreatedName, Created: v.Created,
		Current: v.ID == current,
	}
	if v.RestoredFrom != 0 {
		out.RestoredFrom = strconv.FormatInt(v.RestoredFrom, 10)
	}
	return out
}

func parseVersionID(id string) (int64, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return 0, invalidf("%q is not a version id", id)
	}
	return n, nil
}

func formatID(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}
