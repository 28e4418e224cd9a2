package web

import (
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"strongroom/vfs"
)

// Options configure the handler. The zero value of each field is a
// default, and a nil *Options means every default.
type Options struct {
	// Clock tells the time for session expiry; default time.Now.
	Clock func() time.Time
	// SessionTTL is how long a browser sign-in lasts; default 12 hours.
	SessionTTL time.Duration
	// Insecure drops the Secure flag and the __Host- prefix from cookies,
	// for tests over plain HTTP on loopback. Never set it in service.
	Insecure bool
	// PageSize is the number of entries a folder page shows; default 100.
	PageSize int
	// MaxUploadBytes bounds one upload; zero means no bound beyond the
	// user's quota.
	MaxUploadBytes int64
	// MaxZipFiles and MaxZipBytes bound a folder download; defaults 10,000
	// files and 10 GiB.
	MaxZipFiles int
	MaxZipBytes int64
}

// Handler serves the portal's pages and its JSON API. It is safe for
// concurrent use. Close ends the browser sessions it holds.
type Handler struct {
	fs       *vfs.FS
	log      *slog.Logger
	opts     Options
	sessions *sessionStore
	pages    map[string]*template.Template
	mux      *http.ServeMux
}

// New returns a handler serving the UI at / and the API at /api/ over fs.
// It logs to log, which must not be nil.
func New(fs *vfs.FS, log *slog.Logger, opts *Options) *Handler {
	o := Options{}
	if opts != nil {
		o = *opts
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = 12 * time.Hour
	}
	if o.PageSize <= 0 {
		o.PageSize = 100
	}
	if o.MaxZipFiles <= 0 {
		o.MaxZipFiles = 10000
	}
	if o.MaxZipBytes <= 0 {
		o.MaxZipBytes = 10 << 30
	}

	h := &Handler{fs: fs, log: log, opts: o, sessions: newSessionStore(o.SessionTTL, o.Clock)}
	h.pages = parsePages()
	h.mux = http.NewServeMux()
	for _, rt := range h.routes() {
		h.mux.Handle(rt.method+" "+rt.pattern, h.wrap(rt))
	}
	h.mux.Handle("/api/", h.wrap(route{api: true, public: true, serve: func(http.ResponseWriter, *http.Request, *caller) error { return errNoRoute }}))
	h.mux.Handle("GET /static/", staticHandler())
	return h
}

// Close signs every browser out and closes their vfs sessions.
func (h *Handler) Close() error {
	h.sessions.closeAll()
	return nil
}

// A route is one endpoint: its method and ServeMux pattern, whether it
// belongs to the API (JSON errors) or the pages (HTML errors), and the
// function serving it, which returns an error instead of writing one.
type route struct {
	method  string
	pattern string
	api     bool
	public  bool // served without a sign-in; c is nil
	serve   func(w http.ResponseWriter, r *http.Request, c *caller) error
}

type serveFunc = func(w http.ResponseWriter, r *http.Request, c *caller) error

// routes is every endpoint the handler serves. docs/openapi.yaml lists
// the API ones, and a test keeps the two in step.
func (h *Handler) routes() []route {
	api := func(method, pattern string, fn serveFunc) route {
		return route{method: method, pattern: "/api/v1" + pattern, api: true, serve: fn}
	}
	page := func(method, pattern string, fn serveFunc) route {
		return route{method: method, pattern: pattern, serve: fn}
	}
	public := func(method, pattern string, fn serveFunc) route {
		return route{method: method, pattern: pattern, public: true, serve: fn}
	}
	return []route{
		api("GET", "/me", h.apiMe),
		api("GET", "/list/{path...}", h.apiList),
		api("GET", "/stat/{path...}", h.apiStat),
		api("GET", "/files/{path...}", h.apiDownload),
		api("PUT", "/files/{path...}", h.apiUpload),
		api("DELETE", "/files/{path...}", h.apiDelete),
		api("POST", "/mkdir/{path...}", h.apiMkdir),
		api("POST", "/rename", h.apiRename),
		api("GET", "/versions/{path...}", h.apiVersions),
		api("POST", "/restore/{path...}", h.apiRestore),
		api("GET", "/zip/{path...}", h.apiZip),

		api("GET", "/admin/users", h.apiUsers),
		api("POST", "/admin/users", h.apiAddUser),
		api("GET", "/admin/users/{name}", h.apiUser),
		api("POST", "/admin/users/{name}/disabled", h.apiSetDisabled),
		api("POST", "/admin/users/{name}/password", h.apiSetPassword),
		api("POST", "/admin/users/{name}/tokens", h.apiNewToken),
		api("GET", "/admin/users/{name}/tokens", h.apiTokens),
		api("DELETE", "/admin/users/{name}/tokens/{id}", h.apiRevokeToken),
		api("GET", "/admin/groups", h.apiGroups),
		api("POST", "/admin/groups", h.apiAddGroup),
		api("POST", "/admin/groups/{name}/members", h.apiAddMember),
		api("GET", "/admin/grants", h.apiGrants),
		api("POST", "/admin/grants", h.apiGrant),
		api("DELETE", "/admin/grants", h.apiRevoke),
		api("GET", "/admin/audit", h.apiAudit),

		page("GET", "/{$}", h.pageHome),
		public("GET", "/signin", h.pageSignIn),
		public("POST", "/signin", h.pageSignInPost),
		page("POST", "/signout", h.pageSignOut),
		page("GET", "/browse/{path...}", h.pageBrowse),
		page("GET", "/versions/{path...}", h.pageVersions),
		page("POST", "/do/mkdir", h.pageMkdir),
		page("POST", "/do/rename", h.pageRename),
		page("POST", "/do/delete", h.pageDelete),
		page("POST", "/do/restore", h.pageRestore),
		page("GET", "/admin/users", h.pageAdminUsers),
		page("POST", "/admin/users", h.pageAdminUsersPost),
		page("GET", "/admin/grants", h.pageAdminGrants),
		page("POST", "/admin/grants", h.pageAdminGrantsPost),
		page("GET", "/admin/audit", h.pageAdminAudit),
	}
}

// ServeHTTP sets the headers every reply carries and dispatches.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "+
		"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("Cache-Control", "no-store")
	if !h.opts.Insecure {
		hd.Set("Strict-Transport-Security", "max-age=31536000")
	}
	h.mux.ServeHTTP(w, r)
}

// maxFormBytes bounds every request body but an upload's.
const maxFormBytes = 64 << 10

// wrap turns a route's function into an http.Handler: it bounds the body,
// signs the caller in unless the route is public, and sends the error the
// function returns, if any, through reply.
func (h *Handler) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt.method != http.MethodPut {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		}
		var c *caller
		if !rt.public {
			var done func()
			var err error
			c, done, err = h.signIn(r)
			if err != nil {
				h.reply(w, r, rt.api, err)
				return
			}
			defer done()
		}
		if err := rt.serve(w, r, c); err != nil {
			h.reply(w, r, rt.api, err)
		}
	})
}

// reply is the one place error replies are written: JSON for the API, an
// error page for the UI; a page that needs a sign-in redirects to it. An
// error no client is told about in detail is logged here, once.
func (h *Handler) reply(w http.ResponseWriter, r *http.Request, api bool, err error) {
	we := classify(err)
	if we.code == "internal" && vfs.KindOf(err) == vfs.KindOther && !isVFSError(err) {
		// vfs logs its own unexpected failures; this is one of ours.
		h.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if we.status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", strconv.Itoa(int(h.fs.LoginBan().Seconds())))
	}
	if api {
		if we.status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="strongroom"`)
		}
		writeJSON(w, we.status, map[string]any{"error": map[string]string{"code": we.code, "message": we.msg}})
		return
	}
	if we.status == http.StatusUnauthorized {
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	}
	h.render(w, r, we.status, "error", &pageData{Title: "Error", Error: we.msg, Back: r.Referer()})
}

func isVFSError(err error) bool {
	var ve *vfs.Error
	return errors.As(err, &ve)
}

// remoteAddr is the client's address as the connection shows it.
//
// TODO: behind a reverse proxy every request shows the proxy's address,
// so the audit trail and the sign-in throttle see one client. Fix: an
// Options field naming trusted proxies whose X-Forwarded-For is believed.
func remoteAddr(r *http.Request) string {
	return r.RemoteAddr
}
