package web

import (
	"bytes"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"strongroom/vfs"
)

//go:embed assets/templates/*.html assets/static/*
var assets embed.FS

// pageData is what every page's template gets. Only the part for the
// page at hand is set.
type pageData struct {
	Title  string
	User   string
	Admin  bool
	CSRF   string
	Error  string
	Notice string
	Back   string

	Browse   *browseData
	Versions *versionsData
	Users    *usersData
	Grants   *grantsData
	Audit    *auditData
}

// parsePages parses the embedded templates. They are part of the binary,
// so a failure is a bug found by any test, and panics.
func parsePages() map[string]*template.Template {
	funcs := template.FuncMap{
		"size":       humanSize,
		"when":       func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") },
		"hex":        hex.EncodeToString,
		"short":      func(s string) string { return s[:min(len(s), 12)] },
		"versionURL": func(p, id string) string { return fileURL(p) + "?version=" + url.QueryEscape(id) },
	}
	out := make(map[string]*template.Template)
	for _, name := range []string{"error", "signin", "browse", "versions", "users", "grants", "audit"} {
		t := template.Must(template.New(name).Funcs(funcs).ParseFS(assets,
			"assets/templates/layout.html", "assets/templates/"+name+".html"))
		out[name] = t
	}
	return out
}

// staticHandler serves the embedded CSS and script.
func staticHandler() http.Handler {
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

// render executes a page into a buffer first, so that a template failure
// becomes an error page rather than half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, d *pageData) {
	var buf bytes.Buffer
	if err := h.pages[name].ExecuteTemplate(&buf, "layout", d); err != nil {
		h.log.Error("page failed", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// page starts the data of a signed-in page.
func page(c *caller, title string) *pageData {
	u := c.vfs.User()
	d := &pageData{Title: title, User: u.Name, Admin: u.Admin}
	if c.web != nil {
		d.CSRF = c.web.csrf
	}
	return d
}

// humanSize spells a byte count as people read it.
func humanSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// escapePath escapes each segment of a session path for a URL.
func escapePath(p string) string {
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

func browseURL(p string) string {
	if p == "/" {
		return "/browse/"
	}
	return "/browse/" + escapePath(p)
}

func fileURL(p string) string     { return "/api/v1/files/" + escapePath(p) }
func versionsURL(p string) string { return "/versions/" + escapePath(p) }

// A crumb is one step of the path above the list.
type crumb struct{ Name, URL string }

func crumbs(p string) []crumb {
	out := []crumb{{"Home", "/browse/"}}
	if p == "/" {
		return out
	}
	cur := ""
	for _, s := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
		cur += "/" + s
		out = append(out, crumb{s, browseURL(cur)})
	}
	return out
}

// parentOf is the folder holding session path p.
func parentOf(p string) string { return path.Dir(p) }

// pageHome sends a signed-in browser to its files.
func (h *Handler) pageHome(w http.ResponseWriter, r *http.Request, c *caller) error {
	http.Redirect(w, r, "/browse/", http.StatusSeeOther)
	return nil
}

// formPath reads a session path from a form field.
func formPath(r *http.Request, field string) string {
	return sessionPath(r.PostFormValue(field))
}

// back redirects to the folder p after a change made from a form.
func back(w http.ResponseWriter, r *http.Request, dir string) error {
	http.Redirect(w, r, browseURL(dir), http.StatusSeeOther)
	return nil
}

func (h *Handler) pageMkdir(w http.ResponseWriter, r *http.Request, c *caller) error {
	dir := formPath(r, "dir")
	name := r.PostFormValue("name")
	if err := vfs.CheckName(name); err != nil {
		return &vfs.Error{Op: "mkdir", Kind: vfs.KindInvalid, Err: err}
	}
	if err := c.vfs.Mkdir(r.Context(), path.Join(dir, name)); err != nil {
		return err
	}
	return back(w, r, dir)
}

func (h *Handler) pageRename(w http.ResponseWriter, r *http.Request, c *caller) error {
	from := formPath(r, "path")
	name := r.PostFormValue("name")
	if err := vfs.CheckName(name); err != nil {
		return &vfs.Error{Op: "rename", Kind: vfs.KindInvalid, Err: err}
	}
	if err := c.vfs.Rename(r.Context(), from, path.Join(parentOf(from), name), vfs.RenameOptions{}); err != nil {
		return err
	}
	return back(w, r, parentOf(from))
}

func (h *Handler) pageDelete(w http.ResponseWriter, r *http.Request, c *caller) error {
	p := formPath(r, "path")
	if err := c.vfs.Remove(r.Context(), p, false); err != nil {
		return err
	}
	return back(w, r, parentOf(p))
}

func (h *Handler) pageRestore(w http.ResponseWriter, r *http.Request, c *caller) error {
	p := formPath(r, "path")
	if _, err := c.vfs.Restore(r.Context(), p, r.PostFormValue("version")); err != nil {
		return err
	}
	http.Redirect(w, r, versionsURL(p), http.StatusSeeOther)
	return nil
}
