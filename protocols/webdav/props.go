package webdav

import (
	"encoding/xml"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"strongroom/vfs"
)

// A propContext holds what one PROPFIND looked up once for every
// resource it lists: the locks of the tree and the user's usage.
type propContext struct {
	q     *request
	pf    *propfindReq
	locks []*vfs.Lock
	used  int64
	quota int64
}

// The live properties, each in DAV:. The quota ones (RFC 4331) are
// served on folders when asked for by name, and left out of allprop as
// that RFC says.
const (
	pResourceType   = "resourcetype"
	pDisplayName    = "displayname"
	pContentLength  = "getcontentlength"
	pContentType    = "getcontenttype"
	pETag           = "getetag"
	pLastModified   = "getlastmodified"
	pCreationDate   = "creationdate"
	pLockDiscovery  = "lockdiscovery"
	pSupportedLock  = "supportedlock"
	pQuotaAvailable = "quota-available-bytes"
	pQuotaUsed      = "quota-used-bytes"
)

func isLive(n xml.Name) bool {
	if n.Space != nsDAV {
		return false
	}
	switch n.Local {
	case pResourceType, pDisplayName, pContentLength, pContentType, pETag, pLastModified,
		pCreationDate, pLockDiscovery, pSupportedLock, pQuotaAvailable, pQuotaUsed:
		return true
	}
	return false
}

func wantsQuota(pf *propfindReq) bool {
	for _, n := range pf.names {
		if n.Space == nsDAV && (n.Local == pQuotaAvailable || n.Local == pQuotaUsed) {
			return true
		}
	}
	return false
}

// liveNames are the live properties allprop and propname show for fi.
func liveNames(fi *vfs.FileInfo) []string {
	names := []string{pResourceType}
	if fi.Path() != "/" {
		names = append(names, pDisplayName) // the root has no name of its own
	}
	names = append(names, pLastModified, pCreationDate, pLockDiscovery, pSupportedLock)
	if !fi.IsDir() {
		names = append(names, pContentLength, pContentType)
		if etag(fi) != "" {
			names = append(names, pETag)
		}
	}
	return names
}

// props answers pc.pf for one resource, as a propstat of what was found
// and one of what was not.
func (pc *propContext) props(fi *vfs.FileInfo, dead []vfs.Prop) []propstat {
	found := propstat{status: http.StatusOK}
	missing := propstat{status: http.StatusNotFound}
	add := func(n xml.Name) {
		if v, ok := pc.value(fi, n, dead); ok {
			found.props = append(found.props, prop{name: n, value: v})
		} else {
			missing.props = append(missing.props, prop{name: n})
		}
	}

	switch {
	case pc.pf.propname:
		for _, l := range liveNames(fi) {
			found.props = append(found.props, prop{name: xml.Name{Space: nsDAV, Local: l}})
		}
		for _, d := range dead {
			found.props = append(found.props, prop{name: xml.Name{Space: d.Space, Local: d.Name}})
		}
	case pc.pf.allprop:
		seen := make(map[xml.Name]bool)
		for _, l := range liveNames(fi) {
			n := xml.Name{Space: nsDAV, Local: l}
			seen[n] = true
			add(n)
		}
		for _, d := range dead {
			n := xml.Name{Space: d.Space, Local: d.Name}
			seen[n] = true
			found.props = append(found.props, prop{name: n, value: d.XML})
		}
		for _, n := range pc.pf.names {
			if !seen[n] {
				add(n)
			}
		}
	default:
		for _, n := range pc.pf.names {
			add(n)
		}
	}
	return []propstat{found, missing}
}

// value is the content of property n of fi, and whether it has one.
func (pc *propContext) value(fi *vfs.FileInfo, n xml.Name, dead []vfs.Prop) (string, bool) {
	if !isLive(n) {
		for _, d := range dead {
			if d.Space == n.Space && d.Name == n.Local {
				return d.XML, true
			}
		}
		return "", false
	}
	file := !fi.IsDir()
	switch n.Local {
	case pResourceType:
		if file {
			return "", true
		}
		return "<D:collection/>", true
	case pDisplayName:
		if fi.Path() == "/" {
			return "", false
		}
		return escape(fi.Name()), true
	case pContentLength:
		return strconv.FormatInt(fi.Size(), 10), file
	case pContentType:
		return escape(contentType(fi)), file
	case pETag:
		t := etag(fi)
		return escape(t), file && t != ""
	case pLastModified:
		return fi.ModTime().UTC().Format(http.TimeFormat), true
	case pCreationDate:
		return fi.Created().UTC().Format(time.RFC3339), true
	case pLockDiscovery:
		var b strings.Builder
		for _, l := range pc.locks {
			if lockCovers(l, fi.Path()) {
				b.WriteString(pc.q.h.activeLock(l))
			}
		}
		return b.String(), true
	case pSupportedLock:
		return supportedLock, true
	case pQuotaUsed:
		return strconv.FormatInt(pc.used, 10), !file
	case pQuotaAvailable:
		return strconv.FormatInt(max(pc.quota-pc.used, 0), 10), !file && pc.quota > 0
	}
	return "", false
}

const supportedLock = `<D:lockentry><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>` +
	`<D:lockentry><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>`

// etag is the entity tag of fi's content: its version id, quoted. A
// folder, and a file with no content yet, have none.
func etag(fi *vfs.FileInfo) string {
	if fi.IsDir() || fi.VersionID() == "" {
		return ""
	}
	return `"` + fi.VersionID() + `"`
}

// contentType is the MIME type detected at upload, or for a file with no
// content yet the one its name suggests.
func contentType(fi *vfs.FileInfo) string {
	if t := fi.MIMEType(); t != "" {
		return t
	}
	if t := mime.TypeByExtension(path.Ext(fi.Name())); t != "" {
		return t
	}
	return "application/octet-stream"
}
