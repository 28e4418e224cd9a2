package web

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"

	"strongroom/vfs"
)

// Cookie names. With Secure cookies the __Host- prefix makes the browser
// refuse any that a subdomain or a plain-HTTP page tries to set.
func (h *Handler) sessionCookie() string {
	if h.opts.Insecure {
		return "sr_session"
	}
	return "__Host-sr_session"
}

func (h *Handler) signinCookie() string {
	if h.opts.Insecure {
		return "sr_signin"
	}
	return "__Host-sr_signin"
}

// A caller is who a request runs as: a vfs session, and the browser
// session it belongs to (nil for a request signed with an app token).
type caller struct {
	vfs *vfs.Session
	web *webSession
}

// signIn finds who r runs as and returns it with a function that must be
// called when the request is done. It returns errSignIn when r carries no
// valid credential, and errCSRF when a browser's state-changing request
// lacks the session's token.
func (h *Handler) signIn(r *http.Request) (*caller, func(), error) {
	if auth := r.Header.Get("Authorization"); auth != "" {
		return h.signInToken(r, auth)
	}

	ck, err := r.Cookie(h.sessionCookie())
	if err != nil {
		return nil, nil, errSignIn
	}
	ws := h.sessions.get(ck.Value)
	if ws == nil {
		return nil, nil, errSignIn
	}

	// Rule: a request that changes anything carries the CSRF token, in
	// the header for the API, in the form for pages.
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		got := r.Header.Get("X-CSRF-Token")
		if got == "" && !strings.HasPrefix(r.URL.Path, "/api/") {
			got = r.PostFormValue("csrf")
		}
		if !sameToken(got, ws.csrf) {
			return nil, nil, errCSRF
		}
	}
	return &caller{vfs: ws.vfs, web: ws}, func() {}, nil
}

// signInToken checks "Bearer NAME:TOKEN" and opens a session for this
// one request.
func (h *Handler) signInToken(r *http.Request, auth string) (*caller, func(), error) {
	scheme, cred, _ := strings.Cut(auth, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return nil, nil, refuse(http.StatusUnauthorized, "unauthenticated", "only Bearer authorization is accepted")
	}
	name, token, ok := strings.Cut(strings.TrimSpace(cred), ":")
	if !ok || name == "" || !strings.HasPrefix(token, "srt_") {
		return nil, nil, refuse(http.StatusUnauthorized, "unauthenticated", "send Authorization: Bearer NAME:TOKEN with an app token")
	}
	info := vfs.SessionInfo{Protocol: "api", RemoteAddr: remoteAddr(r), SessionID: "api-" + randomID()[:16], UserAgent: r.UserAgent()}
	u, err := h.fs.Authenticate(r.Context(), name, vfs.Credential{AppToken: token}, info)
	if err != nil {
		if errors.Is(err, vfs.ErrBadLogin) {
			return nil, nil, refuse(http.StatusUnauthorized, "unauthenticated", vfs.ErrBadLogin.Message())
		}
		return nil, nil, err
	}
	s, err := h.fs.NewSession(r.Context(), u.Name, info)
	if err != nil {
		return nil, nil, err
	}
	return &caller{vfs: s}, func() { s.Close() }, nil
}

// sameToken compares a presented token with the expected one in constant
// time. An empty token never matches.
func sameToken(got, want string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// admin returns an Admin for c if c's user is an administrator, scoped to
// their tenant (the whole portal for staff without one).
//
// The user is reloaded first, by a stat of the home, so that an admin
// flag taken away since sign-in is seen at once.
func (h *Handler) admin(r *http.Request, c *caller) (*vfs.Admin, error) {
	if _, err := c.vfs.Stat(r.Context(), "/"); err != nil {
		return nil, err
	}
	u := c.vfs.User()
	if !u.Admin {
		return nil, errNotAdmin
	}
	return h.fs.Admin(u.Name, u.TenantID, c.vfs.Info()), nil
}
