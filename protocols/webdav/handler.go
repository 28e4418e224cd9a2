package webdav

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"strongroom/audit"
	"strongroom/vfs"
)

// Options configure a Handler. A nil *Options, and each zero field, mean
// the defaults.
type Options struct {
	// Prefix is the URL path the handler is mounted at, without a
	// trailing slash; default "/dav". Requests outside it get 404.
	Prefix string
	// MacOSFiles says what to do with macOS's "._*" and ".DS_Store"
	// files: "keep", "hide" (the default) or "refuse"; see the package
	// documentation. Any other value means "hide".
	MacOSFiles string
	// MaxDepthItems bounds how many items a PROPFIND with Depth: infinity
	// may list; such a request over more is refused, and zero refuses
	// them all.
	MaxDepthItems int
	// Clock tells the time for remembered sign-ins and lock timeouts;
	// default time.Now.
	Clock func() time.Time
	// LoginCache is how long a successful sign-in is reused for requests
	// with the same credentials; default 5 seconds. A negative value
	// signs in on every request.
	LoginCache time.Duration
	// Metrics counts requests; nil counts nothing.
	Metrics *Metrics
}

// MacOSFiles values.
const (
	MacOSKeep   = "keep"
	MacOSHide   = "hide"
	MacOSRefuse = "refuse"
)

// A Handler serves WebDAV over a vfs.FS. It is safe for concurrent use.
type Handler struct {
	fs       *vfs.FS
	log      *slog.Logger
	prefix   string
	macOS    string
	maxDepth int
	now      func() time.Time
	logins   *loginCache
	metrics  *Metrics
}

// New returns a Handler serving fs under opts.Prefix. log receives what
// an operator may need: failed requests that are the server's fault at
// Error, every request at Debug. A nil log discards.
func New(fs *vfs.FS, log *slog.Logger, opts *Options) *Handler {
	if opts == nil {
		opts = &Options{}
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	h := &Handler{fs: fs, log: log, prefix: strings.TrimSuffix(opts.Prefix, "/"),
		macOS: opts.MacOSFiles, maxDepth: opts.MaxDepthItems, now: opts.Clock, metrics: opts.Metrics}
	if opts.Prefix == "" {
		h.prefix = "/dav"
	}
	switch h.macOS {
	case MacOSKeep, MacOSHide, MacOSRefuse:
	case "":
		h.macOS = MacOSHide
	default:
		log.Warn("unknown macOS files policy, hiding them", "macos_files", h.macOS)
		h.macOS = MacOSHide
	}
	if h.now == nil {
		h.now = time.Now
	}
	ttl := opts.LoginCache
	if ttl == 0 {
		ttl = 5 * time.Second
	}
	h.logins = newLoginCache(ttl)
	return h
}

// A request is one request being served, signed in.
type request struct {
	h    *Handler
	w    http.ResponseWriter
	r    *http.Request
	ctx  context.Context
	sess *vfs.Session
	path string // session path of the Request-URI
	dir  bool   // the Request-URI ended in a slash
	cond *ifHeader
}

// method returns the function that serves a method, or nil.
func method(name string) func(*request) (int, error) {
	switch name {
	case "OPTIONS":
		return (*request).options
	case "GET", "HEAD":
		return (*request).get
	case "PUT":
		return (*request).put
	case "DELETE":
		return (*request).delete
	case "MKCOL":
		return (*request).mkcol
	case "COPY", "MOVE":
		return (*request).copyMove
	case "PROPFIND":
		return (*request).propfind
	case "PROPPATCH":
		return (*request).proppatch
	case "LOCK":
		return (*request).lock
	case "UNLOCK":
		return (*request).unlock
	}
	return nil
}

// allowAll is the Allow header of OPTIONS.
const allowAll = "OPTIONS, GET, HEAD, PUT, DELETE, MKCOL, COPY, MOVE, PROPFIND, PROPPATCH, LOCK, UNLOCK"

// ServeHTTP signs the request in, serves it, and writes the reply of any
// handler that did not write its own.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := h.now()
	sw := &statusWriter{ResponseWriter: w}
	sw.Header().Set("MS-Author-Via", "DAV")

	user, status, err := h.serve(sw, r)
	if status != 0 {
		h.reply(sw, r, status, err)
	}
	if sw.status == 0 {
		sw.status = http.StatusOK
	}

	// Only what no one else logs: vfs logs its own unexpected failures.
	d := h.now().Sub(start)
	h.metrics.observe(r.Method, sw.status, d)
	var ve *vfs.Error
	switch {
	case sw.status < 500 || errors.Is(err, errClientGone) || (errors.As(err, &ve) && ve.Kind == vfs.KindOther):
		h.log.Debug("request", "method", r.Method, "path", r.URL.Path, "user", user,
			"status", sw.status, "bytes", sw.bytes, "duration", d, "err", err)
	case sw.status == http.StatusServiceUnavailable:
		h.log.Warn("request failed, store unavailable", "method", r.Method, "path", r.URL.Path,
			"user", user, "err", err)
	default:
		h.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "user", user,
			"status", sw.status, "remote_addr", r.RemoteAddr, "err", err)
	}
}

// serve signs in and runs the method's handler. It returns the user's
// name for the log, and the status to reply with, or zero if the
// handler wrote the reply.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request) (string, int, error) {
	sess, lg, err := h.signIn(r)
	if err != nil {
		return "", statusOf(err), err
	}
	defer h.logins.done(lg)
	user := sess.User().Name

	q := &request{h: h, w: w, r: r, ctx: r.Context(), sess: sess}
	fn := method(r.Method)
	if fn == nil {
		w.Header().Set("Allow", allowAll)
		status, err := q.reject(statusErrorf(http.StatusMethodNotAllowed, "the method %s is not supported", clip(r.Method)))
		return user, status, err
	}
	q.path, q.dir, err = h.sessionPath(r.URL, false)
	if err != nil {
		status, err := q.reject(err)
		return user, status, err
	}
	if v := r.Header.Get("If"); v != "" {
		if q.cond, err = parseIf(v); err != nil {
			status, err := q.reject(err)
			return user, status, err
		}
	}
	// Every change checks the locks again in its own transaction, so that
	// a LOCK taken after the handler's check still stops it.
	q.sess = sess.WithLocks(q.tokens())
	status, err := fn(q)

	// A user disabled or removed since the sign-in was remembered is
	// asked to sign in again, and their remembered sign-in forgotten.
	if endedSession(err) {
		h.logins.drop(lg)
		return user, http.StatusUnauthorized, err
	}
	return user, status, err
}

// reject records a request refused for what it is (a bad path, header
// or body) before it became an operation, and returns its status.
func (q *request) reject(err error) (int, error) {
	status := statusOf(err)
	q.record(message(status, err))
	return status, err
}

// record writes an audit record of a request the handler refused itself.
func (q *request) record(reason string) {
	q.h.fs.Record(q.ctx, q.sess.Info(), q.sess.User().Name, strings.ToLower(q.r.Method), reason, audit.Failed)
}

// reply writes a status with no body of the handler's: a short text, or
// for a failed WebDAV precondition the XML RFC 4918 defines.
func (h *Handler) reply(w http.ResponseWriter, r *http.Request, status int, err error) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="Strongroom", charset="UTF-8"`)
	}
	switch status {
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "60")
	case http.StatusTooManyRequests:
		w.Header().Set("Retry-After", strconv.Itoa(int(h.fs.LoginBan().Seconds())))
	}
	if status < 400 || r.Method == "HEAD" {
		w.WriteHeader(status)
		return
	}
	var he *httpError
	if errors.As(err, &he) && he.cond != "" {
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		w.WriteHeader(status)
		io.WriteString(w, conditionXML(he.cond, he.hrefs))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, message(status, err)+"\n")
}

// statusWriter notes the status and size of a reply for metrics and the
// log.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
