package vfs

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxNameBytes is the longest name a single path segment may have, in
// bytes of UTF-8, as on common local file systems.
const MaxNameBytes = 255

// MaxPathBytes bounds a whole path, so that no request makes the server
// walk an unbounded number of segments.
const MaxPathBytes = 4096

// CheckName reports whether name may be used as one segment of a path, and
// if not, why, in words a user can act on.
func CheckName(name string) error {
	switch {
	case name == "":
		return invalidf("a name may not be empty")
	case name == "." || name == "..":
		return invalidf("%q is not a valid name", name)
	case len(name) > MaxNameBytes:
		return invalidf("a name may be at most %d bytes long, this one has %d", MaxNameBytes, len(name))
	case !utf8.ValidString(name):
		return invalidf("a name must be valid UTF-8 text")
	case strings.ContainsRune(name, '/'):
		return invalidf("a name may not contain a slash")
	}
	for _, r := range name {
		if r == 0 || unicode.IsControl(r) {
			return invalidf("a name may not contain control characters (found U+%04X)", r)
		}
	}
	return nil
}

// checkNewName refuses, in a name being given (to a new file or folder,
// or by a rename or copy), the characters that make a name display as
// another: bidirectional embeddings, overrides and isolates, with which
// "report\u202Efdp.exe" shows as "reportexe.pdf" in a listing, and the
// invisible zero-width space, word joiner and byte order mark. Names that
// already have them stay reachable, since lookups check only CheckName.
// The zero-width joiner and non-joiner are allowed: Persian, the Indic
// scripts and emoji sequences need them.
func checkNewName(name string) error {
	for _, r := range name {
		switch {
		case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
			return invalidf("a name may not contain U+%04X, a bidirectional control that makes the name display in another order than it has", r)
		case r == 0x200B || r == 0x2060 || r == 0xFEFF:
			return invalidf("a name may not contain U+%04X, an invisible character that makes the name look like another", r)
		}
	}
	return nil
}

// splitPath turns a session path into its segments, each checked and put
// in Unicode normal form C, so that the same name typed on macOS (which
// decomposes accents) and on Windows names the same file.
//
// The path must be absolute and clean: "/" for the session's root, no
// trailing slash, no "." or ".." segments. Protocols clean what their
// clients send (mapping ".." at the root to the root, as a chrooted server
// does); anything else reaching here is refused rather than guessed at.
func splitPath(p string) ([]string, error) {
	if len(p) > MaxPathBytes {
		return nil, invalidf("a path may be at most %d bytes long", MaxPathBytes)
	}
	if !strings.HasPrefix(p, "/") {
		return nil, invalidf("path %q must start with a slash", p)
	}
	if p == "/" {
		return nil, nil
	}
	segs := strings.Split(p[1:], "/")
	for i, s := range segs {
		if err := CheckName(s); err != nil {
			return nil, err
		}
		segs[i] = norm.NFC.String(s)
	}
	return segs, nil
}

// joinPath is the inverse of splitPath.
func joinPath(segs []string) string {
	return "/" + strings.Join(segs, "/")
}
