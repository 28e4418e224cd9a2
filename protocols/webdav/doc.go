// Package webdav serves the Strongroom filesystem over WebDAV (RFC 4918,
// classes 1 and 2), for the clients that mount it as a network drive:
// Windows Explorer, macOS Finder, davfs2, rclone, Cyberduck.
//
// A Handler answers every request with calls on a vfs.Session for the
// user the request signs in as, so that policy, versions and the audit
// trail are the ones every other protocol sees. It keeps no state that
// another gateway node would need: locks and dead properties are rows of
// the metadata store, and a sign-in remembered for a few seconds is only
// a saving.
//
// The handler is written here rather than taken from
// golang.org/x/net/webdav, whose Handler answers shared locks with 501,
// accepts malformed If headers and namespace declarations, creates
// collections over files, keeps its locks in one process's memory, and
// commits a PUT whose body broke off. Its exported pieces are the
// interfaces of that Handler and do not fit a store that decides
// permissions and keeps versions.
//
// # Requests
//
// PROPFIND answers from metadata alone: ETags are version ids, content
// types are the ones detected at upload, and no blob is read. Depth
// infinity is served up to Options.MaxDepthItems items, or refused. GET
// and HEAD honour ranges and conditional headers; HEAD reads no blob.
// PUT streams the body into a vfs upload that commits only when the body
// is complete; a body that breaks off aborts the upload and leaves
// nothing. COPY shares blobs; MOVE changes metadata only.
//
// A PUT of an empty body to a new name, and a LOCK of a new name, make an
// empty file with no version, so that the write a client sends next
// (Windows and Finder create a file empty first) becomes its first and
// only version.
//
// macOS writes "._*" and ".DS_Store" files beside what a user copies.
// Options.MacOSFiles decides: "hide" (the default) answers a PUT of one
// with 201 and stores nothing, and otherwise answers as if none existed;
// "refuse" answers such a PUT with 403; "keep" stores them as any file.
// Requests that hide discards reach no vfs call and leave no audit record.
//
// # Security
//
// Every request signs in with HTTP Basic credentials: a user's password,
// or an app token (a password that starts with "srt_" is taken for one).
// A successful sign-in is remembered for Options.LoginCache under a keyed
// hash of the credentials, so that a burst of requests costs one password
// hash; a disabled user is refused from their next request, and a revoked
// token or changed password stops working when the remembered sign-in
// expires. Failed sign-ins are recorded and throttled by vfs.
//
// Paths are taken from the escaped request path, one segment at a time.
// A segment that decodes to "." or "..", or that holds an encoded slash,
// is refused rather than resolved, as is a Destination on another host
// or outside the handler's prefix. Request bodies that carry XML are
// bounded in size, depth and element count, and a document type
// declaration (the way in for entity expansion) is refused.
//
// Locks bind WebDAV clients: a write to a locked item must submit the
// lock's token, and only the user who took the lock may use its token.
// Another user's lock is shown without its token. SFTP and the web UI do
// not look at WebDAV locks.
//
// # Errors
//
// Handlers return a status and an error, and ServeHTTP alone writes the
// reply and the log line. vfs error kinds map to statuses: not found 404,
// permission 403, invalid 400, quota 507, unavailable 503, a concurrent
// change or a failed precondition 409 or 412, a held lock 423. Replies
// carry vfs.Error.Message, which names nothing the user may not see; the
// cause goes only to the log, and only for failures an operator must
// look at.
package webdav
