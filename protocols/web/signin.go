package web

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"strongroom/vfs"
)

// signinTTL is how long a sign-in form stays usable.
const signinTTL = 30 * time.Minute

// pageSignIn shows the sign-in form. It sets a short-lived cookie whose
// value the form must return, so that another site cannot sign a browser
// in to an account of the attacker's choosing.
func (h *Handler) pageSignIn(w http.ResponseWriter, r *http.Request, _ *caller) error {
	h.signinForm(w, r, http.StatusOK, "")
	return nil
}

func (h *Handler) signinForm(w http.ResponseWriter, r *http.Request, status int, msg string) {
	tok := randomID()
	http.SetCookie(w, &http.Cookie{Name: h.signinCookie(), Value: tok, Path: "/", MaxAge: int(signinTTL / time.Second),
		HttpOnly: true, Secure: !h.opts.Insecure, SameSite: http.SameSiteStrictMode})
	h.render(w, r, status, "signin", &pageData{Title: "Sign in", CSRF: tok, Error: msg})
}

// pageSignInPost checks the name and password and starts a session.
func (h *Handler) pageSignInPost(w http.ResponseWriter, r *http.Request, _ *caller) error {
	ck, err := r.Cookie(h.signinCookie())
	if err != nil || !sameToken(r.PostFormValue("csrf"), ck.Value) {
		h.signinForm(w, r, http.StatusForbidden, "This form has expired. Please sign in again.")
		return nil
	}
	name, password := r.PostFormValue("username"), r.PostFormValue("password")
	if name == "" || password == "" {
		h.signinForm(w, r, http.StatusBadRequest, "Enter your user name and password.")
		return nil
	}

	auditID := "web-" + randomID()[:16]
	info := vfs.SessionInfo{Protocol: "web", RemoteAddr: remoteAddr(r), SessionID: auditID, UserAgent: r.UserAgent()}
	u, err := h.fs.Authenticate(r.Context(), name, vfs.Credential{Password: password}, info)
	switch {
	case errors.Is(err, vfs.ErrThrottled):
		w.Header().Set("Retry-After", strconv.Itoa(int(h.fs.LoginBan().Seconds())))
		h.signinForm(w, r, http.StatusTooManyRequests, "Too many failed sign-ins from this address; try again later.")
		return nil
	case errors.Is(err, vfs.ErrBadLogin):
		h.signinForm(w, r, http.StatusUnauthorized, "Sign-in failed: check your user name and password.")
		return nil
	case err != nil:
		return err
	}
	s, err := h.fs.NewSession(r.Context(), u.Name, info)
	if err != nil {
		return err
	}

	ws := h.sessions.add(s, auditID)
	http.SetCookie(w, &http.Cookie{Name: h.signinCookie(), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: !h.opts.Insecure, SameSite: http.SameSiteStrictMode})
	http.SetCookie(w, &http.Cookie{Name: h.sessionCookie(), Value: ws.id, Path: "/", MaxAge: int(h.opts.SessionTTL / time.Second),
		HttpOnly: true, Secure: !h.opts.Insecure, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/browse/", http.StatusSeeOther)
	return nil
}

// pageSignOut ends the browser's session.
func (h *Handler) pageSignOut(w http.ResponseWriter, r *http.Request, c *caller) error {
	if c.web != nil {
		h.sessions.remove(c.web.id)
	}
	http.SetCookie(w, &http.Cookie{Name: h.sessionCookie(), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: !h.opts.Insecure, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
	return nil
}
