package webdav

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"strongroom/vfs"
)

// appTokenPrefix starts every app token vfs issues; a password that
// starts with it is tried as a token.
const appTokenPrefix = "srt_"

// maxLogins bounds the remembered sign-ins. Only successful sign-ins are
// remembered, so only holders of credentials can fill it.
const maxLogins = 4096

// A login is a remembered sign-in: the session it opened, which requests
// with the same credentials reuse until it expires.
type login struct {
	key     [sha256.Size]byte
	id      string // session id of the sign-in; requests add a number
	sess    *vfs.Session
	expires time.Time
	served  atomic.Int64
}

// loginCache remembers sign-ins by a keyed hash of their credentials, so
// that neither a memory dump nor a timing difference gives away a
// password. It is safe for concurrent use.
//
// TODO: an expired login is closed only when the cache next looks at it
// (a request with the same credentials, or any new sign-in), so the
// active-sessions gauge counts a client that went quiet until then.
// Fix: sweep expired logins on a timer driven by the handler's clock.
type loginCache struct {
	ttl    time.Duration
	secret [32]byte

	mu     sync.Mutex
	logins map[[sha256.Size]byte]*login
}

func newLoginCache(ttl time.Duration) *loginCache {
	c := &loginCache{ttl: ttl, logins: make(map[[sha256.Size]byte]*login)}
	rand.Read(c.secret[:])
	return c
}

func (c *loginCache) key(user, password string) [sha256.Size]byte {
	m := hmac.New(sha256.New, c.secret[:])
	m.Write([]byte(strconv.Itoa(len(user))))
	m.Write([]byte{0})
	m.Write([]byte(user))
	m.Write([]byte(password))
	var k [sha256.Size]byte
	m.Sum(k[:0])
	return k
}

// get returns the unexpired login for key, or nil.
func (c *loginCache) get(key [sha256.Size]byte, now time.Time) *login {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.logins[key]
	if l == nil {
		return nil
	}
	if !now.Before(l.expires) {
		delete(c.logins, key)
		l.sess.Close()
		return nil
	}
	return l
}

// put remembers l, first forgetting expired logins and, when full, one
// more.
func (c *loginCache) put(l *login, now time.Time) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, old := range c.logins {
		if !now.Before(old.expires) || len(c.logins) >= maxLogins {
			delete(c.logins, k)
			old.sess.Close()
		}
	}
	if old := c.logins[l.key]; old != nil {
		old.sess.Close()
	}
	c.logins[l.key] = l
}

// done is called when a request that l signed in ends: it closes the
// session of a login that is not remembered.
func (c *loginCache) done(l *login) {
	if c.ttl <= 0 {
		l.sess.Close()
	}
}

// drop forgets l.
func (c *loginCache) drop(l *login) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.logins[l.key] == l {
		delete(c.logins, l.key)
	}
	l.sess.Close()
}

// signIn returns a session for the request's credentials, with a
// session id of its own, and the login it comes from.
func (h *Handler) signIn(r *http.Request) (*vfs.Session, *login, error) {
	user, password, ok := r.BasicAuth()
	if !ok || user == "" {
		return nil, nil, statusErrorf(http.StatusUnauthorized, "no credentials")
	}
	now := h.now()
	key := h.logins.key(user, password)
	l := h.logins.get(key, now)
	if l == nil {
		var err error
		if l, err = h.newLogin(r, user, password); err != nil {
			return nil, nil, err
		}
		l.key, l.expires = key, now.Add(h.logins.ttl)
		h.logins.put(l, now)
	}

	n := l.served.Add(1)
	info := vfs.SessionInfo{Protocol: "webdav", RemoteAddr: r.RemoteAddr, UserAgent: r.UserAgent(),
		SessionID: l.id + "." + strconv.FormatInt(n, 10), Request: r.Method}
	return l.sess.WithInfo(info), l, nil
}

// newLogin checks the credentials with vfs, which records the attempt
// and throttles an address that fails too often.
func (h *Handler) newLogin(r *http.Request, user, password string) (*login, error) {
	var raw [8]byte
	rand.Read(raw[:])
	l := &login{id: "dav-" + hex.EncodeToString(raw[:])}
	info := vfs.SessionInfo{Protocol: "webdav", RemoteAddr: r.RemoteAddr, SessionID: l.id, UserAgent: r.UserAgent(), Request: r.Method}
	cred := vfs.Credential{Password: password}
	if strings.HasPrefix(password, appTokenPrefix) {
		cred = vfs.Credential{AppToken: password}
	}
	u, err := h.fs.Authenticate(r.Context(), user, cred, info)
	if err != nil {
		return nil, err
	}
	if l.sess, err = h.fs.NewSession(r.Context(), u.Name, info); err != nil {
		if vfs.KindOf(err) == vfs.KindPermission {
			return nil, statusErrorf(http.StatusUnauthorized, "sign-in failed")
		}
		return nil, err
	}
	return l, nil
}
