package vfs

import (
	"errors"
	"strings"
	"sync"
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

// attempt begins and ends one sign-in attempt at now, and reports whether
// it was admitted and whether it banned the address.
func attempt(th *throttle, addr string, now time.Time, failed bool) (admitted, banned bool) {
	if !th.begin(addr, now) {
		return false, false
	}
	return true, th.end(addr, now, failed)
}

func TestThrottle(t *testing.T) {
	th := newThrottle(3, time.Minute, 10*time.Minute)
	now := time.Unix(1000, 0)
	for i := range 2 {
		if ok, banned := attempt(th, "198.51.100.1:1000", now.Add(time.Duration(i)*time.Second), true); !ok || banned {
			t.Fatal("banned too early")
		}
	}
	if _, banned := attempt(th, "198.51.100.1:2000", now.Add(2*time.Second), true); !banned {
		t.Fatal("third failure from another port of the same host did not ban")
	}
	if ok, _ := attempt(th, "198.51.100.1:3000", now.Add(5*time.Minute), false); ok {
		t.Error("an attempt during the ban was admitted")
	}
	if ok, _ := attempt(th, "198.51.100.1:1", now.Add(11*time.Minute), false); !ok {
		t.Error("an attempt after the ban was refused")
	}
	if ok, _ := attempt(th, "198.51.100.2:1000", now, false); !ok {
		t.Error("another host is banned")
	}
	// Failures outside the window do not count.
	th2 := newThrottle(2, time.Minute, time.Hour)
	attempt(th2, "h:1", now, true)
	if _, banned := attempt(th2, "h:1", now.Add(2*time.Minute), true); banned {
		t.Error("a failure older than the window counted")
	}
}

// TestThrottleConcurrent sends many attempts from one address at once.
// Wrong passwords: no more are admitted than the failures allowed before
// the ban, however many are in flight. Right ones: all get through, some
// after waiting for a turn.
func TestThrottleConcurrent(t *testing.T) {
	const limit, attempts = 5, 60
	now := time.Unix(1000, 0)
	run := func(th *throttle, failed bool) (admitted int) {
		var mu sync.Mutex
		var wg sync.WaitGroup
		for range attempts {
			wg.Go(func() {
				if !th.begin("203.0.113.9:1", now) {
					return
				}
				mu.Lock()
				admitted++
				mu.Unlock()
				time.Sleep(2 * time.Millisecond) // the password check
				th.end("203.0.113.9:1", now, failed)
			})
		}
		wg.Wait()
		return admitted
	}

	if n := run(newThrottle(limit, time.Minute, time.Hour), true); n != limit {
		t.Errorf("%d wrong passwords sent at once: %d checked, want %d then the ban", attempts, n, limit)
	}
	if n := run(newThrottle(limit, time.Minute, time.Hour), false); n != attempts {
		t.Errorf("%d right passwords sent at once: %d admitted, want all", attempts, n)
	}
}
