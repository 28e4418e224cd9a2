package web

import (
	"crypto/rand"
	"encoding/base64"
	"sync"
	"time"

	"strongroom/vfs"
)

// A webSession is one browser's sign-in: the vfs session every request of
// that browser runs on, and the CSRF token its forms must carry.
type webSession struct {
	id      string // the cookie value; secret, never logged or audited
	auditID string // the id the audit trail records for this sign-in
	csrf    string
	expires time.Time
	vfs     *vfs.Session
}

// sessionStore keeps signed-in browser sessions in this process's memory.
// It is safe for concurrent use.
//
// TODO: sessions live in one process, so behind a load balancer with
// several gateway nodes a browser is signed out whenever it reaches
// another node, and a restart signs everyone out. Sharing them needs a
// sessions table in the metadata store (hash of the id, user, CSRF token,
// expiry), which vfs does not offer yet; until then run one web node or
// use sticky load balancing.
type sessionStore struct {
	ttl time.Duration
	now func() time.Time

	mu       sync.Mutex
	sessions map[string]*webSession
}

func newSessionStore(ttl time.Duration, now func() time.Time) *sessionStore {
	return &sessionStore{ttl: ttl, now: now, sessions: make(map[string]*webSession)}
}

// add stores a new sign-in on vs and returns it. It also ends the
// sessions that have expired, so that the map holds only live ones.
func (st *sessionStore) add(vs *vfs.Session, auditID string) *webSession {
	ws := &webSession{id: randomID(), auditID: auditID, csrf: randomID(), vfs: vs}
	now := st.now()
	ws.expires = now.Add(st.ttl)

	st.mu.Lock()
	defer st.mu.Unlock()
	for id, old := range st.sessions {
		if !now.Before(old.expires) {
			delete(st.sessions, id)
			old.vfs.Close()
		}
	}
	st.sessions[ws.id] = ws
	return ws
}

// get returns the live session with the cookie value id, or nil. An
// expired session is ended on the way.
func (st *sessionStore) get(id string) *webSession {
	st.mu.Lock()
	defer st.mu.Unlock()
	ws := st.sessions[id]
	if ws == nil {
		return nil
	}
	if !st.now().Before(ws.expires) {
		delete(st.sessions, id)
		ws.vfs.Close()
		return nil
	}
	return ws
}

// remove ends the session with the cookie value id, if there is one.
func (st *sessionStore) remove(id string) {
	st.mu.Lock()
	ws := st.sessions[id]
	delete(st.sessions, id)
	st.mu.Unlock()
	if ws != nil {
		ws.vfs.Close()
	}
}

// closeAll ends every session.
func (st *sessionStore) closeAll() {
	st.mu.Lock()
	defer st.mu.Unlock()
	for id, ws := range st.sessions {
		delete(st.sessions, id)
		ws.vfs.Close()
	}
}

// randomID returns 32 random bytes, base64url-encoded: enough that ids
// and tokens cannot be guessed.
func randomID() string {
	var b [32]byte
	rand.Read(b[:]) // never fails; see crypto/rand.Read
	return base64.RawURLEncoding.EncodeToString(b[:])
}
