package web

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"strongroom/policy"
	"strongroom/vfs"
)

// maxSorted bounds the entries read to sort a folder by date or size.
//
// TODO: vfs lists in name order only, so sorting by date or size reads
// the folder, up to maxSorted entries, on every page view, and a folder
// larger than that is sorted over its first maxSorted names only (the
// page says so). At 10,000 entries this costs a few megabytes and tens
// of milliseconds per view. Fix: a ListOptions.Order in vfs, answered by
// an index in the metadata store, so that every order pages like names.
const maxSorted = 10000

type browseData struct {
	Path     string
	Crumbs   []crumb
	Entries  []entryView
	CanWrite bool
	CanZip   bool
	ZipURL   string

	Sort, Arrow                  string
	SortName, SortDate, SortSize string
	NextURL, FirstURL            string
	Capped                       int
}

// entryView is one row of a folder page, with the actions it offers.
type entryView struct {
	Name        string
	Path        string
	IsDir       bool
	Size        int64
	Modified    time.Time
	URL         string
	VersionsURL string
	CanRename   bool
	CanDelete   bool
}

// pageBrowse shows one page of a folder: ?sort=name|date|size,
// ?order=asc|desc, and ?after=NAME (name order) or ?page=N (the others).
func (h *Handler) pageBrowse(w http.ResponseWriter, r *http.Request, c *caller) error {
	p := sessionPath(r.PathValue("path"))
	q := r.URL.Query()
	sortBy, desc := q.Get("sort"), q.Get("order") == "desc"
	if sortBy != "date" && sortBy != "size" {
		sortBy = "name"
	}
	dir, err := c.vfs.Stat(r.Context(), p)
	if err != nil {
		return err
	}
	if !dir.IsDir() {
		http.Redirect(w, r, fileURL(p), http.StatusSeeOther)
		return nil
	}

	b := &browseData{Path: p, Crumbs: crumbs(p), Sort: sortBy, Arrow: "▲",
		CanWrite: dir.Allowed().Has(policy.Write), CanZip: dir.Allowed().Has(policy.List | policy.Read),
		ZipURL: "/api/v1/zip/" + escapePath(p)}
	if desc {
		b.Arrow = "▼"
	}
	self := browseURL(p)
	sortURL := func(by string) string {
		v := url.Values{"sort": {by}}
		if by == sortBy && !desc {
			v.Set("order", "desc")
		}
		return self + "?" + v.Encode()
	}
	b.SortName, b.SortDate, b.SortSize = sortURL("name"), sortURL("date"), sortURL("size")

	var entries []*vfs.FileInfo
	if sortBy == "name" && !desc {
		entries, err = h.namePage(r, c, p, q.Get("after"), b, self)
	} else {
		entries, err = h.sortedPage(r, c, p, sortBy, desc, q.Get("page"), b, self)
	}
	if err != nil {
		return err
	}
	for _, fi := range entries {
		b.Entries = append(b.Entries, h.entry(fi, dir))
	}

	d := page(c, pageTitle(p))
	d.Browse = b
	h.render(w, r, http.StatusOK, "browse", d)
	return nil
}

// namePage reads one page in name order through vfs's own paging.
func (h *Handler) namePage(r *http.Request, c *caller, p, after string, b *browseData, self string) ([]*vfs.FileInfo, error) {
	entries, more, err := c.vfs.List(r.Context(), p, vfs.ListOptions{After: after, Limit: h.opts.PageSize})
	if err != nil {
		return nil, err
	}
	if more {
		b.NextURL = self + "?" + url.Values{"after": {entries[len(entries)-1].Name()}}.Encode()
	}
	if after != "" {
		b.FirstURL = self
	}
	return entries, nil
}

// sortedPage reads the folder, up to maxSorted entries, sorts it and
// cuts out page n.
func (h *Handler) sortedPage(r *http.Request, c *caller, p, by string, desc bool, pageArg string, b *browseData, self string) ([]*vfs.FileInfo, error) {
	n, _ := strconv.Atoi(pageArg)
	n = max(n, 0)
	var all []*vfs.FileInfo
	after := ""
	for len(all) < maxSorted {
		entries, more, err := c.vfs.List(r.Context(), p, vfs.ListOptions{After: after})
		if err != nil {
			return nil, err
		}
		all = append(all, entries...)
		if !more {
			break
		}
		after = entries[len(entries)-1].Name()
		if len(all) >= maxSorted {
			b.Capped = len(all)
		}
	}

	slices.SortStableFunc(all, func(x, y *vfs.FileInfo) int {
		// Folders first, as file managers show them.
		if x.IsDir() != y.IsDir() {
			if x.IsDir() {
				return -1
			}
			return 1
		}
		var o int
		switch by {
		case "date":
			o = x.ModTime().Compare(y.ModTime())
		case "size":
			o = cmp.Compare(x.Size(), y.Size())
		}
		if o == 0 {
			o = strings.Compare(x.Name(), y.Name())
		}
		if desc {
			o = -o
		}
		return o
	})

	size := h.opts.PageSize
	start := min(n*size, len(all))
	end := min(start+size, len(all))
	base := url.Values{"sort": {by}}
	if desc {
		base.Set("order", "desc")
	}
	if end < len(all) {
		v := url.Values{"page": {strconv.Itoa(n + 1)}, "sort": base["sort"], "order": base["order"]}
		b.NextURL = self + "?" + v.Encode()
	}
	if n > 0 {
		b.FirstURL = self + "?" + base.Encode()
	}
	return all[start:end], nil
}

// entry builds a row, offering only the actions policy allows: renaming
// needs delete on the item and write on its folder, as vfs requires.
func (h *Handler) entry(fi, dir *vfs.FileInfo) entryView {
	a := fi.Allowed()
	e := entryView{Name: fi.Name(), Path: fi.Path(), IsDir: fi.IsDir(), Size: fi.Size(), Modified: fi.ModTime(),
		CanRename: a.Has(policy.Delete) && dir.Allowed().Has(policy.Write), CanDelete: a.Has(policy.Delete)}
	switch {
	case fi.IsDir():
		e.URL = browseURL(fi.Path())
	case a.Has(policy.Read):
		e.URL = fileURL(fi.Path())
		e.VersionsURL = versionsURL(fi.Path())
	}
	return e
}

func pageTitle(p string) string {
	if p == "/" {
		return "Home"
	}
	return p[strings.LastIndexByte(p, '/')+1:]
}

type versionsData struct {
	Path     string
	Name     string
	Crumbs   []crumb
	CanWrite bool
	List     []vfs.Version
}

// pageVersions lists a file's versions with download and restore.
func (h *Handler) pageVersions(w http.ResponseWriter, r *http.Request, c *caller) error {
	p := sessionPath(r.PathValue("path"))
	fi, err := c.vfs.Stat(r.Context(), p)
	if err != nil {
		return err
	}
	vs, err := c.vfs.Versions(r.Context(), p)
	if err != nil {
		return err
	}

	d := page(c, "Versions of "+fi.Name())
	d.Versions = &versionsData{Path: p, Name: fi.Name(), Crumbs: crumbs(parentOf(p)),
		CanWrite: fi.Allowed().Has(policy.Write), List: vs}
	h.render(w, r, http.StatusOK, "versions", d)
	return nil
}
