// Package vfs is the filesystem every Strongroom protocol serves: SFTP,
// WebDAV and the web UI all translate their requests into calls on a
// Session, and nothing reaches a store except through this package.
//
// An FS joins a metadata store (names, versions, identities, grants,
// audit), a blob store (content, encrypted at rest) and the policy rule.
// A Session is one signed-in user's view of it, rooted at their home.
//
// # Every operation
//
// Each Session method resolves its path from the session's root, asks
// policy whether the user may do this there, does it, and records an
// audit event with its outcome. A change and its audit record commit in
// one metadata transaction; a refusal or failure is recorded after the
// change is rolled back. Listings and reads are recorded too.
//
// # Content
//
// Content is never overwritten. An Upload streams to a new blob under a
// fresh random key and becomes visible only when Commit succeeds, as a
// new version of the file; the previous version stays readable. An
// upload that is aborted or cut off leaves a blob no version refers to,
// which CollectOrphans removes. Rename and move change metadata only.
//
// # Errors
//
// Every method returns a *Error whose Kind tells protocols which status to
// answer. A path the user may not see is reported as KindNotExist, exactly
// as a path that does not exist, so that an error never confirms a name.
// Error.Message is the text safe to show a client.
//
// # Paths
//
// Session paths are absolute, clean and slash-separated: "/" is the
// session's root. Protocols clean what their clients send; a path with
// "." or ".." segments, an empty segment, control characters, invalid
// UTF-8 or an overlong name is refused as KindInvalid. Names are kept in
// Unicode normal form C.
package vfs
