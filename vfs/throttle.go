package vfs

import (
	"net"
	"sync"
	"time"
)

// throttle counts failed sign-ins per client address and refuses an
// address that failed too often, for a while.
//
// BUG(throttle): the counts live in this process's memory, so with several
// gateway nodes each node counts on its own, and a restart forgets them.
// An attacker spread over N nodes gets N times the attempts. Keeping the
// counts in the metadata database would close this at the cost of a write
// per failure.
type throttle struct {
	max    int
	window time.Duration
	ban    time.Duration

	mu    sync.Mutex
	hosts map[string]*failures
}

type failures struct {
	times       []time.Time // failures within the window, oldest first
	bannedUntil time.Time
}

func newThrottle(max int, window, ban time.Duration) *throttle {
	return &throttle{max: max, window: window, ban: ban, hosts: make(map[string]*failures)}
}

// host strips the port, so that a client cannot escape the count by
// connecting from a new port.
func host(remoteAddr string) string {
	h, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return remoteAddr
	}
	return h
}

// banned reports whether addr is refused at now.
func (t *throttle) banned(addr string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.hosts[host(addr)]
	return f != nil && now.Before(f.bannedUntil)
}

// fail counts a failure from addr and reports whether it is now banned.
func (t *throttle) fail(addr string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	h := host(addr)
	f := t.hosts[h]
	if f == nil {
		f = &failures{}
		t.hosts[h] = f
	}
	cut := 0
	for cut < len(f.times) && now.Sub(f.times[cut]) > t.window {
		cut++
	}
	f.times = append(f.times[cut:], now)
	if len(f.times) >= t.max {
		f.bannedUntil = now.Add(t.ban)
		f.times = nil
		return true
	}
	t.prune(now)
	return false
}

// prune drops addresses with nothing to remember, so that a scan from
// many addresses does not grow the map without bound. Called with t.mu
// held, only when the map is large.
func (t *throttle) prune(now time.Time) {
	if len(t.hosts) < 10000 {
		return
	}
	for h, f := range t.hosts {
		if now.After(f.bannedUntil) && (len(f.times) == 0 || now.Sub(f.times[len(f.times)-1]) > t.window) {
			delete(t.hosts, h)
		}
	}
}
