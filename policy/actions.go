package policy

import (
	"fmt"
	"strings"
)

// Actions is a set of things a grant allows.
type Actions uint8

// The actions a grant can hold.
const (
	List   Actions = 1 << iota // see names and metadata in a folder
	Read                       // read file content and old versions
	Write                      // create, overwrite, rename into, make folders
	Delete                     // remove, rename away
	Share                      // make share links (later)
	Admin                      // change grants below, read the audit trail

	None Actions = 0
	All          = List | Read | Write | Delete | Share | Admin
)

var actionNames = []struct {
	a    Actions
	name string
}{
	{List, "list"}, {Read, "read"}, {Write, "write"},
	{Delete, "delete"}, {Share, "share"}, {Admin, "admin"},
}

// Has reports whether every action in want is in a.
func (a Actions) Has(want Actions) bool { return a&want == want }

// String lists the actions comma-separated, "all" for every one and
// "none" for the empty set.
func (a Actions) String() string {
	if a == All {
		return "all"
	}
	if a == None {
		return "none"
	}
	var names []string
	for _, n := range actionNames {
		if a.Has(n.a) {
			names = append(names, n.name)
		}
	}
	return strings.Join(names, ",")
}

// ParseActions reads a comma-separated list such as "list,read" or "all".
func ParseActions(s string) (Actions, error) {
	var a Actions
	for _, word := range strings.Split(s, ",") {
		word = strings.TrimSpace(strings.ToLower(word))
		if word == "all" {
			a |= All
			continue
		}
		found := false
		for _, n := range actionNames {
			if n.name == word {
				a |= n.a
				found = true
			}
		}
		if !found {
			return 0, fmt.Errorf("unknown action %q: use a comma-separated set of list, read, write, delete, share, admin, or all", word)
		}
	}
	return a, nil
}
