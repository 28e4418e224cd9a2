package web

import (
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"strongroom/vfs"
)

// apiMe describes the signed-in user.
func (h *Handler) apiMe(w http.ResponseWriter, r *http.Request, c *caller) error {
	used, quota, err := c.vfs.Usage(r.Context())
	if err != nil {
		return err
	}
	u := c.vfs.User()
	writeJSON(w, http.StatusOK, map[string]any{
		"user": u.Name, "admin": u.Admin, "home": c.vfs.HomePath(),
		"used_bytes": used, "quota_bytes": quota,
	})
	return nil
}

// apiList answers one page of a folder, sorted by name. Pass the "next"
// of a reply as ?after= to get the page that follows.
func (h *Handler) apiList(w http.ResponseWriter, r *http.Request, c *caller) error {
	p := sessionPath(r.PathValue("path"))
	q := r.URL.Query()
	limit := 0
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return refuse(http.StatusBadRequest, "bad_request", "limit must be a positive whole number")
		}
		limit = n
	}

	entries, more, err := c.vfs.List(r.Context(), p, vfs.ListOptions{After: q.Get("after"), Limit: limit})
	if err != nil {
		return err
	}

	out := make([]fileJSON, len(entries))
	for i, fi := range entries {
		out[i] = toFileJSON(fi)
	}
	reply := map[string]any{"path": p, "entries": out, "more": more}
	if more {
		reply["next"] = entries[len(entries)-1].Name()
	}
	writeJSON(w, http.StatusOK, reply)
	return nil
}

// apiStat describes one file or folder.
func (h *Handler) apiStat(w http.ResponseWriter, r *http.Request, c *caller) error {
	fi, err := c.vfs.Stat(r.Context(), sessionPath(r.PathValue("path")))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toFileJSON(fi))
	return nil
}

// apiDownload sends a file's current version, or ?version=ID, with
// ranges and conditional requests as net/http's ServeContent answers them.
// The ETag is the version id, so If-Range never mixes two versions.
func (h *Handler) apiDownload(w http.ResponseWriter, r *http.Request, c *caller) error {
	p := sessionPath(r.PathValue("path"))
	var f *vfs.File
	var err error
	if v := r.URL.Query().Get("version"); v != "" {
		f, err = c.vfs.OpenVersion(r.Context(), p, v)
	} else {
		f, err = c.vfs.Open(r.Context(), p)
	}
	if err != nil {
		return err
	}
	defer f.Close()

	// Rule: content is never shown as a page of this origin. A stored
	// HTML file would otherwise run with the user's session.
	fi := f.Stat()
	hd := w.Header()
	hd.Set("Content-Disposition", attachment(fi.Name()))
	hd.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	hd.Set("ETag", `"`+f.Version()+`"`)
	hd.Set("Cache-Control", "private, no-cache")
	if ct := fi.MIMEType(); ct != "" && !strings.HasPrefix(ct, "text/html") {
		hd.Set("Content-Type", ct)
	} else {
		hd.Set("Content-Type", "application/octet-stream")
	}
	http.ServeContent(w, r, "", fi.ModTime(), f)
	return nil
}

// attachment is a Content-Disposition value naming a download, with the
// name encoded so that quotes, non-ASCII and control characters survive.
func attachment(name string) string {
	if v := mime.FormatMediaType("attachment", map[string]string{"filename": name}); v != "" {
		return v
	}
	return "attachment"
}

// apiUpload streams the request body into a new version of the file.
// It becomes visible only when the whole body has arrived and the commit
// succeeds; a body cut short leaves the file as it was.
//
// If-None-Match: * makes the upload fail if the file exists; If-Match:
// "VERSION" makes it fail with 412 if another version became current
// meanwhile.
func (h *Handler) apiUpload(w http.ResponseWriter, r *http.Request, c *caller) error {
	p := sessionPath(r.PathValue("path"))
	opts := &vfs.CreateOptions{Exclusive: r.Header.Get("If-None-Match") == "*"}
	if m := r.Header.Get("If-Match"); m != "" {
		opts.IfVersion = strings.Trim(m, `"`)
	}
	body := io.Reader(r.Body)
	if h.opts.MaxUploadBytes > 0 {
		body = http.MaxBytesReader(w, r.Body, h.opts.MaxUploadBytes)
	}

	up, err := c.vfs.Create(r.Context(), p, opts)
	if err != nil {
		return err
	}
	defer up.Abort() // does nothing after a successful Commit
	// ReadFrom reads in a goroutine of its own while this one stores, and
	// holds at most a few 256 KiB buffers whatever the size of the file.
	if _, err := up.ReadFrom(body); err != nil {
		return err
	}
	fi, err := up.Commit(r.Context())
	if err != nil {
		return err
	}

	w.Header().Set("ETag", `"`+fi.VersionID()+`"`)
	writeJSON(w, http.StatusCreated, toFileJSON(fi))
	return nil
}

// apiDelete removes a file, or a folder: an empty one, or with
// ?recursive=true everything in it.
func (h *Handler) apiDelete(w http.ResponseWriter, r *http.Request, c *caller) error {
	recursive := r.URL.Query().Get("recursive") == "true"
	if err := c.vfs.Remove(r.Context(), sessionPath(r.PathValue("path")), recursive); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// apiMkdir makes a folder.
func (h *Handler) apiMkdir(w http.ResponseWriter, r *http.Request, c *caller) error {
	p := sessionPath(r.PathValue("path"))
	if err := c.vfs.Mkdir(r.Context(), p); err != nil {
		return err
	}
	fi, err := c.vfs.Stat(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toFileJSON(fi))
	return nil
}

// renameRequest is the body of a rename or move.
type renameRequest struct {
	From    string `json:"from"`
	To      string `json:"to"`
	Replace bool   `json:"replace"`
}

// apiRename renames or moves a file or folder.
func (h *Handler) apiRename(w http.ResponseWriter, r *http.Request, c *caller) error {
	var req renameRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.From == "" || req.To == "" {
		return refuse(http.StatusBadRequest, "bad_request", "from and to are both needed")
	}

	to := sessionPath(req.To)
	if err := c.vfs.Rename(r.Context(), sessionPath(req.From), to, vfs.RenameOptions{Replace: req.Replace}); err != nil {
		return err
	}
	fi, err := c.vfs.Stat(r.Context(), to)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toFileJSON(fi))
	return nil
}

// apiVersions lists a file's versions, newest first.
func (h *Handler) apiVersions(w http.ResponseWriter, r *http.Request, c *caller) error {
	vs, err := c.vfs.Versions(r.Context(), sessionPath(r.PathValue("path")))
	if err != nil {
		return err
	}
	out := make([]versionJSON, len(vs))
	for i, v := range vs {
		out[i] = toVersionJSON(v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"versions": out})
	return nil
}

// apiRestore makes an old version current again, as a new version.
func (h *Handler) apiRestore(w http.ResponseWriter, r *http.Request, c *caller) error {
	var req struct {
		Version string `json:"version"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	fi, err := c.vfs.Restore(r.Context(), sessionPath(r.PathValue("path")), req.Version)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toFileJSON(fi))
	return nil
}
