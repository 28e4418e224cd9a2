package webdav

import (
	"path"
	"strings"
)

// isMacOSFile reports whether p names a file macOS writes beside what a
// user copies: AppleDouble "._name" files and Finder's ".DS_Store".
func isMacOSFile(p string) bool {
	name := path.Base(p)
	return name == ".DS_Store" || strings.HasPrefix(name, "._")
}

// macOSPolicy is the policy that applies to p: MacOSHide or MacOSRefuse
// for a macOS metadata file that is not kept, else "".
func (h *Handler) macOSPolicy(p string) string {
	if h.macOS == MacOSKeep || !isMacOSFile(p) {
		return ""
	}
	return h.macOS
}

// hidden reports whether p is a macOS metadata file WebDAV does not
// show: under both hide and refuse, one stored by another protocol is
// neither listed nor served.
func (h *Handler) hidden(p string) bool { return h.macOSPolicy(p) != "" }
