package vfs

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestSplitPath(t *testing.T) {
	tests := []struct {
		in   string
		want string // joined segments, or "ERR: reason fragment"
	}{
		{"/", ""},
		{"/a/b", "a|b"},
		{"/cafe\u0301", "caf\u00e9"},
		{"a", "ERR: must start with a slash"},
		{"/a//b", "ERR: may not be empty"},
		{"/a/", "ERR: may not be empty"},
		{"/..", "ERR: not a valid name"},
		{"/a\x00", "ERR: control characters"},
		{"/\x1b[31m", "ERR: control characters"},
		{"/\xc3", "ERR: valid UTF-8"},
		{"/" + strings.Repeat("n", 256), "ERR: at most 255 bytes"},
		{strings.Repeat("/a", 3000), "ERR: at most 4096"},
	}
	for _, tt := range tests {
		segs, err := splitPath(tt.in)
		got := strings.Join(segs, "|")
		if err != nil {
			got = "ERR: " + err.Error()
		}
		if strings.HasPrefix(tt.want, "ERR: ") {
			if !strings.HasPrefix(got, "ERR: ") || !strings.Contains(got, tt.want[5:]) {
				t.Errorf("splitPath(%q) = %q, want an error containing %q", tt.in, got, tt.want[5:])
			}
			continue
		}
		if got != tt.want {
			t.Errorf("splitPath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestErrors(t *testing.T) {
	err := &Error{Op: "mkdir", Path: "/x", User: "alice", Kind: KindInvalid, Err: invalidf("a name may not be empty")}
	if !errors.Is(err, ErrInvalid) || errors.Is(err, ErrNotExist) {
		t.Error("errors.Is does not follow the kind")
	}
	if got := err.Message(); got != "mkdir /x: invalid argument: a name may not be empty" {
		t.Errorf("Message = %q", got)
	}
	raw := &Error{Op: "mkdir", Path: "/bad\xff\x1b[2J" + strings.Repeat("x", 400), Kind: KindInvalid}
	if m := raw.Message(); !utf8.ValidString(m) || strings.ContainsRune(m, 0x1b) || len(m) > 400 {
		t.Errorf("Message of a raw path is not safe to send: %q", m)
	}
	internal := &Error{Op: "read", Path: "/y", Kind: KindOther, Err: errors.New("dial tcp 10.0.0.5:5432: refused")}
	if strings.Contains(internal.Message(), "10.0.0.5") {
		t.Errorf("Message leaks the cause: %q", internal.Message())
	}
	wrapped := &Error{Op: "write", Kind: KindQuota, Err: &Error{Op: "write", Kind: KindQuota}}
	if KindOf(wrapped) != KindQuota || KindOf(errors.New("x")) != KindOther || KindOf(ErrNotDir) != KindNotDir {
		t.Error("KindOf")
	}
}

func TestThrottle(t *testing.T) {
	th := newThrottle(3, time.Minute, 10*time.Minute)
	now := time.Unix(1000, 0)
	for i := range 2 {
		if th.fail("198.51.100.1:1000", now.Add(time.Duration(i)*time.Second)) {
			t.Fatal("banned too early")
		}
	}
	if !th.fail("198.51.100.1:2000", now.Add(2*time.Second)) {
		t.Fatal("third failure from another port of the same host did not ban")
	}
	if !th.banned("198.51.100.1:3000", now.Add(5*time.Minute)) || th.banned("198.51.100.1:1", now.Add(11*time.Minute)) {
		t.Error("ban does not last exactly its time")
	}
	if th.banned("198.51.100.2:1000", now) {
		t.Error("another host is banned")
	}
	// Failures outside the window do not count.
	th2 := newThrottle(2, time.Minute, time.Hour)
	th2.fail("h:1", now)
	if th2.fail("h:1", now.Add(2*time.Minute)) {
		t.Error("a failure older than the window counted")
	}
}
