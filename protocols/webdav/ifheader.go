package webdav

import (
	"net/url"
	"strings"
)

// An ifHeader is a parsed If header (RFC 4918 section 10.4): lists of
// conditions, each list tagged with the resource it is about or, when
// untagged, about the Request-URI.
type ifHeader struct {
	lists []ifList
}

type ifList struct {
	tag   string // the resource tag as sent; "" for an untagged list
	conds []ifCond
}

// An ifCond is a state token (a lock token) or an entity tag, negated
// with Not.
type ifCond struct {
	not   bool
	token string
	etag  string
}

// noLock is the state token that no lock has; "Not <DAV:no-lock>" is a
// way to write "true".
const noLock = "DAV:no-lock"

// Bounds on an If header, which costs a look-up per tagged resource.
const (
	maxIfLists = 32
	maxIfConds = 64
)

// parseIf parses an If header. It refuses what the grammar does not
// allow, among it tagged lists mixed with untagged ones, empty lists and
// anything after the last list.
func parseIf(s string) (*ifHeader, error) {
	h := &ifHeader{}
	bad := func(why string) error { return errorf("the If header is malformed: %s", why) }
	tagged, conds := -1, 0
	tag := ""
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			break
		}
		switch s[0] {
		case '<':
			end := strings.IndexByte(s, '>')
			if end < 0 {
				return nil, bad("a resource tag is not closed")
			}
			if tagged == 0 {
				return nil, bad("tagged and untagged lists are mixed")
			}
			tagged, tag = 1, s[1:end]
			if tag == "" {
				return nil, bad("a resource tag is empty")
			}
			s = s[end+1:]
			if !strings.HasPrefix(strings.TrimLeft(s, " \t"), "(") {
				return nil, bad("a resource tag is not followed by a list")
			}
		case '(':
			if tagged == -1 {
				tagged = 0
			}
			l := ifList{tag: tag}
			s = s[1:]
			for {
				s = strings.TrimLeft(s, " \t")
				if s == "" {
					return nil, bad("a list is not closed")
				}
				if s[0] == ')' {
					s = s[1:]
					break
				}
				c := ifCond{}
				if len(s) >= 3 && strings.EqualFold(s[:3], "not") {
					c.not = true
					s = strings.TrimLeft(s[3:], " \t")
				}
				switch {
				case strings.HasPrefix(s, "<"):
					end := strings.IndexByte(s, '>')
					if end < 1 {
						return nil, bad("a state token is not closed or is empty")
					}
					c.token = s[1:end]
					if !validToken(c.token) {
						return nil, bad("a state token is not an absolute URI")
					}
					s = s[end+1:]
				case strings.HasPrefix(s, "["):
					end := strings.IndexByte(s, ']')
					if end < 1 {
						return nil, bad("an entity tag is not closed or is empty")
					}
					c.etag = s[1:end]
					if !validETag(c.etag) {
						return nil, bad("an entity tag is not a quoted string")
					}
					s = s[end+1:]
				default:
					return nil, bad("a list holds something other than a state token or entity tag")
				}
				conds++
				if conds > maxIfConds {
					return nil, bad("too many conditions")
				}
				l.conds = append(l.conds, c)
			}
			if len(l.conds) == 0 {
				return nil, bad("a list is empty")
			}
			h.lists = append(h.lists, l)
			if len(h.lists) > maxIfLists {
				return nil, bad("too many lists")
			}
		default:
			return nil, bad("unexpected text")
		}
	}
	if len(h.lists) == 0 {
		return nil, bad("it has no list")
	}
	return h, nil
}

// validToken reports whether a state token is an absolute URI, as lock
// tokens and DAV:no-lock are.
func validToken(t string) bool {
	u, err := url.Parse(t)
	return err == nil && u.Scheme != "" && !strings.ContainsAny(t, " \t<>")
}

// validETag reports whether an entity tag is quoted, strong or weak.
func validETag(t string) bool {
	t = strings.TrimPrefix(t, "W/")
	return len(t) >= 2 && t[0] == '"' && t[len(t)-1] == '"' && !strings.Contains(t[1:len(t)-1], `"`)
}

// tokens returns every state token the header names, which are the lock
// tokens the request submits.
func (h *ifHeader) tokens() map[string]bool {
	out := make(map[string]bool)
	if h == nil {
		return out
	}
	for _, l := range h.lists {
		for _, c := range l.conds {
			if c.token != "" && c.token != noLock {
				out[c.token] = true
			}
		}
	}
	return out
}

// A resourceState is what conditions are checked against: a resource's
// entity tag and the tokens of the user's locks that cover it.
type resourceState struct {
	etag   string // "" for none
	tokens map[string]bool
}

// eval reports whether the header holds. state looks up the resource of
// a list: "" for the Request-URI, else the tag as sent; ok false means
// the tag names nothing this server has, and that list fails.
//
// Rule: the header holds if any list does, and a list holds if all of
// its conditions do. A state token matches only a lock the user holds,
// so another user's token can neither pass a condition nor unlock
// anything.
func (h *ifHeader) eval(state func(tag string) (resourceState, bool, error)) (bool, error) {
	for _, l := range h.lists {
		st, ok, err := state(l.tag)
		if err != nil {
			return false, err
		}
		if ok && st.holds(l.conds) {
			return true, nil
		}
	}
	return false, nil
}

func (st resourceState) holds(conds []ifCond) bool {
	for _, c := range conds {
		var match bool
		if c.token != "" {
			match = st.tokens[c.token]
		} else {
			match = st.etag != "" && c.etag == st.etag
		}
		if match == c.not {
			return false
		}
	}
	return true
}
