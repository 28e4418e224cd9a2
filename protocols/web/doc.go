// Package web serves the Strongroom filesystem to browsers and scripts:
// a small document portal at / and a JSON API at /api/v1/, both from the
// one http.Handler that New returns.
//
// Every request signs in, one way or the other, and then becomes calls on
// a vfs.Session, which authorizes each call, does it and records it in the
// audit trail. The package holds no business rule and never touches a
// store: what a page shows and what the API answers is what the session
// allows, and the buttons a page offers follow FileInfo.Allowed.
//
// # Signing in
//
// A browser signs in at /signin with a user name and password. The server
// keeps the signed-in session in memory, under a random id that the
// browser holds in a cookie; the session ends at sign-out or when
// Options.SessionTTL has passed since sign-in, whichever comes first.
//
// A script sends "Authorization: Bearer NAME:TOKEN", where TOKEN is an app
// token ("srt_...") made by Admin.NewAppToken for the user NAME. The name
// is needed because vfs.FS.Authenticate checks a credential of a named
// user; a token alone would do once vfs can find a token's owner. Each
// request with a token opens a session of its own, closed when the
// request ends.
//
// # Paths
//
// A path in a URL is taken from the user's home: /api/v1/files/a/b.txt
// names "/a/b.txt" in the session. The path is unescaped once, cleaned
// against "/" so that ".." stops at the home, and handed to vfs, which
// refuses whatever else is wrong with it and says why.
//
// # Security
//
// The session cookie is HttpOnly, SameSite=Strict and, unless
// Options.Insecure is set for plain-HTTP tests, Secure with the __Host-
// prefix. Every state-changing request made with the cookie must carry
// the session's CSRF token: a hidden form field for pages, the
// X-CSRF-Token header for the API; the token is compared in constant
// time. The sign-in form, made before there is a session, is protected
// the same way by a token that must match a short-lived cookie. Requests
// signed with an app token carry no ambient credential and need no CSRF
// token; the server never asks a browser for Basic credentials, which it
// would then send on its own.
//
// Pages are html/template, so names holding markup, quotes, bidirectional
// marks or emoji are escaped wherever they appear. Every reply carries a
// Content-Security-Policy that allows scripts, styles and connections to
// this origin only, with no inline script, no framing and no plugins; the
// assets are embedded, so a page loads nothing from the network.
// Downloads are sent as attachments with nosniff and a sandbox policy, so
// that a stored HTML file never runs as a page of this origin.
//
// Request bodies are bounded: forms and JSON to 64 KiB, uploads only by
// Options.MaxUploadBytes and the user's quota, since an upload streams
// straight into a vfs.Upload and is never held in memory.
//
// # Errors
//
// The API answers an error as {"error":{"code":"...","message":"..."}},
// where code is a stable word derived from the vfs.Kind (not_found,
// already_exists, permission_denied, ...) and message is vfs's
// Error.Message, the only text that is safe to show. A path the user may
// not see is not_found, exactly like a missing one. Pages show the same
// message on an error page. Both are written by one function, reply.
package web
