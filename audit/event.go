package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Outcome says how an operation ended.
type Outcome string

// The outcomes of an audited operation.
const (
	OK     Outcome = "ok"     // it was done
	Denied Outcome = "denied" // policy refused it, or sign-in failed
	Failed Outcome = "error"  // it was allowed but could not be done
)

// An Event is one audit record.
type Event struct {
	ID    int64 // global order of insertion, set by the store
	Chain int   // the chain this record is sealed into
	Seq   int64 // its position in that chain, from 1

	Time       time.Time
	Tenant     string // tenant name, empty for the portal's staff
	User       string // login name, or the name tried at a failed sign-in
	Op         string // "read", "create", "rename", "login", ...
	Path       string // absolute path in the portal's namespace
	Target     string // second path of a rename or copy
	Version    string // version id read, written or restored
	Bytes      int64  // bytes transferred or stored
	Protocol   string // "sftp", "webdav", "web", "api", "cli"
	RemoteAddr string
	SessionID  string
	UserAgent  string // the client software, where the protocol tells
	Request    string // the protocol's request: an HTTP method, an SFTP packet
	Outcome    Outcome
	Reason     string // why it was denied or failed

	PrevHash []byte
	Hash     []byte
}

// Seal fills in e's chain position and hashes, given the head of the
// chain it is appended to (prevSeq zero and prevHash nil for a new chain).
//
// Seal first makes every text field storable: valid UTF-8, no NUL, and
// at most MaxField bytes. Fields come from clients (a rejected path, a
// user name tried at sign-in), and one request must not write megabytes
// of audit trail or a value the database refuses.
func (e *Event) Seal(chain int, prevSeq int64, prevHash []byte) {
	for _, f := range []*string{&e.Tenant, &e.User, &e.Op, &e.Path, &e.Target, &e.Version,
		&e.Protocol, &e.RemoteAddr, &e.SessionID, &e.UserAgent, &e.Request, &e.Reason} {
		*f = storable(*f)
	}
	e.Chain = chain
	e.Seq = prevSeq + 1
	e.PrevHash = prevHash
	e.Hash = e.computeHash()
}

// computeHash hashes the previous hash and every field but ID (which the
// store assigns after sealing) and Hash itself. Each field is written with
// its length first, so that no two different records encode alike.
// Changing this encoding breaks every stored chain: it is pinned by a
// golden test.
func (e *Event) computeHash() []byte {
	h := sha256.New()
	var buf [8]byte
	putInt := func(v int64) {
		binary.BigEndian.PutUint64(buf[:], uint64(v))
		h.Write(buf[:])
	}
	putBytes := func(b []byte) {
		putInt(int64(len(b)))
		h.Write(b)
	}
	putString := func(s string) { putBytes([]byte(s)) }

	putString("strongroom-audit-v1")
	putBytes(e.PrevHash)
	putInt(int64(e.Chain))
	putInt(e.Seq)
	putInt(e.Time.UnixNano())
	for _, s := range []string{e.Tenant, e.User, e.Op, e.Path, e.Target, e.Version} {
		putString(s)
	}
	putInt(e.Bytes)
	for _, s := range []string{e.Protocol, e.RemoteAddr, e.SessionID, e.UserAgent, e.Request, string(e.Outcome), e.Reason} {
		putString(s)
	}
	return h.Sum(nil)
}

// ChainFor picks the chain for a session's records among n chains.
func ChainFor(sessionID string, n int) int {
	if n <= 1 {
		return 0
	}
	h := sha256.Sum256([]byte(sessionID))
	return int(binary.BigEndian.Uint32(h[:4]) % uint32(n))
}

// MaxField is the most bytes a text field of a record keeps.
const MaxField = 4096

// storable returns s as valid UTF-8 without NUL, cut to MaxField bytes
// with a note of how long it was.
func storable(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	if len(s) <= MaxField {
		return s
	}
	note := fmt.Sprintf("... (%d bytes)", len(s))
	cut := MaxField - len(note)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + note
}
