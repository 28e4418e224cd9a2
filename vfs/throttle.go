package vfs

import (
	"net"
	"sync"
	"time"
)

// throttle counts failed sign-ins per client address and refuses an
// address that failed too often, for a while.
//
// Attempts sent together must not slip past the limit while their
// passwords are being checked, so an attempt is admitted (begin) and
// counted in progress until it ends (end). An address may have no more
// attempts in progress than it has failures left before its ban: the
// rest wait for those to end. A client that signs in over many
// connections at once is slowed, not refused; a guesser gets the limit's
// worth of checks and then the ban.
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
	ended *sync.Cond // signaled, with mu, when an attempt ends
	hosts map[string]*failures
}

type failures struct {
	times       []time.Time // failures within the window, oldest first
	bannedUntil time.Time
	inProgress  int // attempts admitted and not yet ended
}

func newThrottle(max int, window, ban time.Duration) *throttle {
	t := &throttle{max: max, window: window, ban: ban, hosts: make(map[string]*failures)}
	t.ended = sync.NewCond(&t.mu)
	return t
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

// begin admits an attempt from addr, waiting while the attempts already
// in progress could, by failing, use up the address's failures left. It
// returns false, admitting nothing, if addr is banned (also when the ban
// came while it waited). Every admitted attempt must be ended with end.
func (t *throttle) begin(addr string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for {
		// Looked up afresh after each wait: prune may have dropped it.
		f := t.entry(host(addr))
		if now.Before(f.bannedUntil) {
			return false
		}
		if f.recent(now, t.window)+f.inProgress < t.max {
			f.inProgress++
			return true
		}
		t.ended.Wait()
	}
}

// end ends an attempt begin admitted, counting it as a failure if it
// failed, and reports whether addr is now banned.
func (t *throttle) end(addr string, now time.Time, failed bool) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	defer t.ended.Broadcast()
	f := t.entry(host(addr))
	f.inProgress--
	if !failed {
		return false
	}
	return t.failLocked(f, now)
}

// failLocked counts a failure in f at now and reports whether it banned
// the address. Called with t.mu held.
func (t *throttle) failLocked(f *failures, now time.Time) bool {
	f.times = append(f.times[f.expired(now, t.window):], now)
	if len(f.times) >= t.max {
		f.bannedUntil = now.Add(t.ban)
		f.times = nil
		return true
	}
	t.prune(now)
	return false
}

// entry returns the record of host h, made if need be. Called with t.mu
// held.
func (t *throttle) entry(h string) *failures {
	f := t.hosts[h]
	if f == nil {
		f = &failures{}
		t.hosts[h] = f
	}
	return f
}

// expired is how many of f's failures are older than the window.
func (f *failures) expired(now time.Time, window time.Duration) int {
	cut := 0
	for cut < len(f.times) && now.Sub(f.times[cut]) > window {
		cut++
	}
	return cut
}

// recent is how many of f's failures are within the window.
func (f *failures) recent(now time.Time, window time.Duration) int {
	return len(f.times) - f.expired(now, window)
}

// prune drops addresses with nothing to remember, so that a scan from
// many addresses does not grow the map without bound. Called with t.mu
// held, only when the map is large.
func (t *throttle) prune(now time.Time) {
	if len(t.hosts) < 10000 {
		return
	}
	for h, f := range t.hosts {
		if f.inProgress == 0 && now.After(f.bannedUntil) && (len(f.times) == 0 || now.Sub(f.times[len(f.times)-1]) > t.window) {
			delete(t.hosts, h)
		}
	}
}
