package web

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"

	"strongroom/policy"
	"strongroom/vfs"
)

// A zipEntry is one item of a folder download, as the walk found it.
type zipEntry struct {
	path string // session path
	name string // name inside the archive
	fi   *vfs.FileInfo
}

// apiZip sends a folder and everything in it as a zip archive, written
// to the reply as each file is read: nothing is staged on disk or held
// in memory but the list of names.
//
// The tree is walked first, so that a folder past Options.MaxZipFiles
// or Options.MaxZipBytes is refused with a clear error before any byte
// of the archive is sent. Files the user may see but not read are left
// out. Should a read fail once the archive has started, the reply is cut
// off, so that the client sees a failed download rather than a short
// archive that looks whole.
func (h *Handler) apiZip(w http.ResponseWriter, r *http.Request, c *caller) error {
	root := sessionPath(r.PathValue("path"))
	fi, err := c.vfs.Stat(r.Context(), root)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return &vfs.Error{Op: "zip", Path: root, Kind: vfs.KindNotDir}
	}
	base := fi.Name()
	if root == "/" {
		base = "files"
	}
	entries, err := h.zipWalk(r.Context(), c.vfs, root, base)
	if err != nil {
		return err
	}

	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", attachment(base+".zip"))
	zw := zip.NewWriter(w)
	for _, e := range entries {
		if err := h.zipAdd(r.Context(), c.vfs, zw, e); err != nil {
			h.log.Warn("folder download cut off", "user", c.vfs.User().Name, "path", e.path, "err", err)
			panic(http.ErrAbortHandler)
		}
	}
	if err := zw.Close(); err != nil {
		panic(http.ErrAbortHandler)
	}
	return nil
}

// zipWalk lists the tree under root, depth first, within the limits.
func (h *Handler) zipWalk(ctx context.Context, s *vfs.Session, root, base string) ([]zipEntry, error) {
	var out []zipEntry
	var total int64
	top, err := s.Stat(ctx, root)
	if err != nil {
		return nil, err
	}
	dirs := []zipEntry{{path: root, name: base, fi: top}}
	for len(dirs) > 0 {
		d := dirs[len(dirs)-1]
		dirs = dirs[:len(dirs)-1]
		out = append(out, zipEntry{path: d.path, name: d.name + "/", fi: d.fi})
		after := ""
		for {
			page, more, err := s.List(ctx, d.path, vfs.ListOptions{After: after})
			if err != nil {
				return nil, err
			}
			for _, fi := range page {
				e := zipEntry{path: fi.Path(), name: d.name + "/" + zipName(fi.Name()), fi: fi}
				switch {
				case fi.IsDir():
					dirs = append(dirs, e)
					continue
				case !fi.Allowed().Has(policy.Read):
					continue
				}
				out = append(out, e)
				total += fi.Size()
				if len(out) > h.opts.MaxZipFiles {
					return nil, refuse(http.StatusRequestEntityTooLarge, "too_large",
						fmt.Sprintf("this folder holds more than %d items, too many to download as one zip; download its subfolders one at a time", h.opts.MaxZipFiles))
				}
				if total > h.opts.MaxZipBytes {
					return nil, refuse(http.StatusRequestEntityTooLarge, "too_large",
						fmt.Sprintf("this folder holds more than %d bytes, too much to download as one zip; download its subfolders one at a time", h.opts.MaxZipBytes))
				}
			}
			if !more {
				break
			}
			after = page[len(page)-1].Name()
		}
	}
	return out, nil
}

// zipAdd writes one entry of the archive.
func (h *Handler) zipAdd(ctx context.Context, s *vfs.Session, zw *zip.Writer, e zipEntry) error {
	hdr := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
	if e.fi != nil {
		hdr.Modified = e.fi.ModTime()
	}
	if strings.HasSuffix(e.name, "/") {
		hdr.Method = zip.Store
		_, err := zw.CreateHeader(hdr)
		return err
	}
	if compressed(e.name) {
		hdr.Method = zip.Store
	}
	f, err := s.Open(ctx, e.path)
	if err != nil {
		return err
	}
	defer f.Close()
	dst, err := zw.CreateHeader(hdr)
	if err != nil {
		return err
	}
	_, err = io.Copy(dst, f)
	return err
}

// compressed reports whether a name's type is already compressed, so
// that deflating it again would cost time and save nothing.
func compressed(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".zip", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".7z", ".rar",
		".jpg", ".jpeg", ".png", ".gif", ".webp", ".mp3", ".mp4", ".mov", ".pdf", ".docx", ".xlsx", ".pptx":
		return true
	}
	return false
}

// zipName makes a stored name safe as one segment of a zip entry: a
// backslash or a drive letter's colon, ordinary characters here, are path
// syntax to Windows' extractors, which would write outside the folder
// being unpacked.
func zipName(name string) string {
	return strings.NewReplacer("\\", "_", ":", "_").Replace(name)
}
