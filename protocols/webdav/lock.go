package webdav

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"strongroom/vfs"
)

// maxLockTimeout is the longest a lock is granted for, whatever the
// client asks (Windows asks for "Infinite"); clients refresh before it
// runs out, and a client that went away frees the item within the hour.
const maxLockTimeout = time.Hour

// lockInfo is what a LOCK body asks for.
type lockInfo struct {
	shared bool
	owner  string // self-contained XML
}

func parseLockInfo(n *xnode) (lockInfo, error) {
	var li lockInfo
	if !n.is(nsDAV, "lockinfo") {
		return li, errorf("a LOCK body must be a DAV:lockinfo element")
	}
	scope, typ := n.child(nsDAV, "lockscope"), n.child(nsDAV, "locktype")
	if scope == nil || typ == nil {
		return li, errorf("a DAV:lockinfo needs a DAV:lockscope and a DAV:locktype")
	}
	switch s := scope.elems(); {
	case len(s) == 1 && s[0].is(nsDAV, "exclusive"):
	case len(s) == 1 && s[0].is(nsDAV, "shared"):
		li.shared = true
	default:
		return li, errorf("the lock scope must be DAV:exclusive or DAV:shared")
	}
	if t := typ.elems(); len(t) != 1 || !t[0].is(nsDAV, "write") {
		return li, errorf("only DAV:write locks are offered")
	}
	if o := n.child(nsDAV, "owner"); o != nil {
		li.owner = inner(o)
		if len(li.owner) > vfs.MaxLockOwnerBytes {
			return li, errorf("the lock's owner may be at most %d bytes", vfs.MaxLockOwnerBytes)
		}
	}
	return li, nil
}

// lockTimeout reads a Timeout header: the first value it understands,
// bounded by maxLockTimeout, which is also what no header means.
func lockTimeout(v string) time.Duration {
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if strings.EqualFold(part, "Infinite") {
			return maxLockTimeout
		}
		if s, ok := strings.CutPrefix(part, "Second-"); ok {
			n, err := strconv.ParseInt(s, 10, 64)
			switch {
			case err != nil || n <= 0:
			case n >= int64(maxLockTimeout/time.Second):
				return maxLockTimeout
			default:
				return time.Duration(n) * time.Second
			}
		}
	}
	return maxLockTimeout
}

// lock takes a new lock, or refreshes one when the body is empty.
func (q *request) lock() (int, error) {
	depth, err := q.depth(false)
	if err != nil {
		return q.reject(err)
	}
	timeout := lockTimeout(q.r.Header.Get("Timeout"))
	body, err := q.readBody()
	if err != nil {
		return q.reject(err)
	}
	if body == nil {
		return q.refreshLock(timeout)
	}
	li, err := parseLockInfo(body)
	if err != nil {
		return q.reject(err)
	}
	opts := vfs.LockOptions{Token: newLockToken(), Deep: depth != 0, Shared: li.shared,
		Owner: li.owner, Timeout: timeout}
	switch q.h.macOSPolicy(q.path) {
	case MacOSHide:
		// Nothing is stored, so nothing is locked; the token only lets
		// Finder go on to the PUT it means to send.
		l := &vfs.Lock{Token: opts.Token, Root: q.path, Deep: opts.Deep, Shared: opts.Shared,
			Owner: opts.Owner, Timeout: timeout, Expires: q.h.now().Add(timeout), Mine: true}
		return q.lockReply(http.StatusOK, l, true)
	case MacOSRefuse:
		return http.StatusForbidden, statusErrorf(http.StatusForbidden, "macOS metadata files are not stored here")
	}

	if err := q.checkIf(); err != nil {
		return statusOf(err), err
	}
	_, serr := q.sess.Stat(q.ctx, q.path)
	missing := errors.Is(serr, vfs.ErrNotExist)
	if missing {
		if _, err := q.checkLocks(item(parentOf(q.path))); err != nil {
			return statusOf(err), err
		}
	}
	l, created, err := q.sess.Lock(q.ctx, q.path, opts)
	switch {
	case errors.Is(err, vfs.ErrLocked):
		return http.StatusLocked, &httpError{status: http.StatusLocked, msg: "the resource is locked",
			cond: "no-conflicting-lock"}
	case missing && errors.Is(err, vfs.ErrNotExist), errors.Is(err, vfs.ErrNotDir):
		return http.StatusConflict, err
	case err != nil:
		return statusOf(err), err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return q.lockReply(status, l, true)
}

// refreshLock renews the lock whose token the If header submits.
func (q *request) refreshLock(timeout time.Duration) (int, error) {
	if q.cond == nil {
		return q.reject(errorf("a LOCK with no body refreshes a lock, and needs its token in an If header"))
	}
	if q.h.macOSPolicy(q.path) == MacOSHide {
		l := &vfs.Lock{Root: q.path, Timeout: timeout, Expires: q.h.now().Add(timeout), Mine: true}
		return q.lockReply(http.StatusOK, l, false)
	}
	if err := q.checkIf(); err != nil {
		return statusOf(err), err
	}
	locks, err := q.sess.Locks(q.ctx, q.path, false)
	if err != nil {
		return statusOf(err), err
	}
	submitted := q.cond.tokens()
	for _, l := range locks {
		if !l.Mine || !submitted[l.Token] {
			continue
		}
		l, err := q.sess.RefreshLock(q.ctx, q.path, l.Token, timeout)
		if err != nil {
			return statusOf(err), err
		}
		return q.lockReply(http.StatusOK, l, false)
	}
	return http.StatusPreconditionFailed, &httpError{status: http.StatusPreconditionFailed,
		msg: "no lock of yours with the submitted token covers this resource", cond: "lock-token-matches-request-uri"}
}

// lockReply writes the answer to a LOCK: the lock's discovery, and for a
// new lock its token in the Lock-Token header.
func (q *request) lockReply(status int, l *vfs.Lock, isNew bool) (int, error) {
	if isNew {
		q.w.Header().Set("Lock-Token", "<"+l.Token+">")
	}
	q.w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	q.w.WriteHeader(status)
	_, err := io.WriteString(q.w, xmlHeader+`<D:prop xmlns:D="DAV:"><D:lockdiscovery>`+
		q.h.activeLock(l)+`</D:lockdiscovery></D:prop>`+"\n")
	if err != nil {
		return 0, errClientGone
	}
	return 0, nil
}

// unlock removes a lock.
func (q *request) unlock() (int, error) {
	v := strings.TrimSpace(q.r.Header.Get("Lock-Token"))
	if len(v) < 3 || v[0] != '<' || v[len(v)-1] != '>' {
		return q.reject(errorf("an UNLOCK needs the lock's token in a Lock-Token header, in angle brackets"))
	}
	if q.h.hidden(q.path) {
		return http.StatusNoContent, nil
	}
	err := q.sess.Unlock(q.ctx, q.path, v[1:len(v)-1])
	switch {
	case errors.Is(err, vfs.ErrNoLock):
		return http.StatusConflict, &httpError{status: http.StatusConflict,
			msg: "no lock with this token covers this resource", cond: "lock-token-matches-request-uri"}
	case err != nil:
		return statusOf(err), err
	}
	return http.StatusNoContent, nil
}

// checkLocks refuses a change that touches scopes unless the request
// submits, for every lock that covers what it changes, the token of one
// such lock that the user holds. vfs decides, and records a refusal. It
// returns the locks it found.
//
// The change itself checks the same locks again, in its own transaction
// (the request's session is made with vfs's WithLocks), so that a LOCK
// another client takes in between still stops it; this check is what
// names the locked item in the 423 answer.
func (q *request) checkLocks(scopes ...vfs.LockScope) ([]*vfs.Lock, error) {
	locks, err := q.sess.CheckLocks(q.ctx, q.tokens(), scopes...)
	var ve *vfs.Error
	if errors.Is(err, vfs.ErrLocked) && errors.As(err, &ve) {
		return nil, q.lockedError(ve.Path)
	}
	return locks, err
}

// tokens lists the lock tokens the If header submits.
func (q *request) tokens() []string {
	var out []string
	for t := range q.cond.tokens() {
		out = append(out, t)
	}
	return out
}

// lockedError is the 423 answer to a change that a lock on the item at
// session path p refused.
func (q *request) lockedError(p string) error {
	return &httpError{status: http.StatusLocked, msg: "the resource is locked; submit the lock's token in an If header",
		cond: "lock-token-submitted", hrefs: []string{q.h.href(p, false)}}
}

// item and tree are the scopes of a change to p alone, and to p with
// everything under it.
func item(p string) vfs.LockScope { return vfs.LockScope{Path: p} }
func tree(p string) vfs.LockScope { return vfs.LockScope{Path: p, Below: true} }

// lockCovers reports whether l covers the item at session path p.
func lockCovers(l *vfs.Lock, p string) bool {
	switch {
	case l.Root == "":
		return l.Deep
	case l.Root == p:
		return true
	}
	return l.Deep && within(p, l.Root)
}

// activeLock describes a lock as DAV:activelock. The token is shown only
// for the user's own locks.
func (h *Handler) activeLock(l *vfs.Lock) string {
	var b strings.Builder
	b.WriteString("<D:activelock><D:locktype><D:write/></D:locktype><D:lockscope>")
	if l.Shared {
		b.WriteString("<D:shared/>")
	} else {
		b.WriteString("<D:exclusive/>")
	}
	b.WriteString("</D:lockscope><D:depth>")
	if l.Deep {
		b.WriteString("infinity")
	} else {
		b.WriteString("0")
	}
	b.WriteString("</D:depth>")
	if l.Owner != "" {
		b.WriteString("<D:owner>" + l.Owner + "</D:owner>")
	}
	left := l.Expires.Sub(h.now())
	secs := max(int64((left+time.Second-1)/time.Second), 0)
	fmt.Fprintf(&b, "<D:timeout>Second-%d</D:timeout>", secs)
	if l.Token != "" {
		b.WriteString("<D:locktoken><D:href>" + escape(l.Token) + "</D:href></D:locktoken>")
	}
	root := l.Root
	if root == "" {
		root = "/"
	}
	b.WriteString("<D:lockroot><D:href>" + escape(h.href(root, false)) + "</D:href></D:lockroot></D:activelock>")
	return b.String()
}

// newLockToken makes a lock token: a random UUID as a URN.
func newLockToken() string {
	var u [16]byte
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:])
}
