package policy

import (
	"strings"
	"testing"
)

func TestParseActions(t *testing.T) {
	tests := []struct {
		in   string
		want Actions
		err  string
	}{
		{"list,read", List | Read, ""},
		{" Write , delete ", Write | Delete, ""},
		{"all", All, ""},
		{"read,fly", 0, `unknown action "fly"`},
		{"", 0, "unknown action"},
	}
	for _, tt := range tests {
		got, err := ParseActions(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseActions(%q): err %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseActions(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	if s := (List | Read).String(); s != "list,read" {
		t.Errorf("String: %q", s)
	}
}

// Grants are inherited downward and unioned; what leads to a grant is
// visible, and nothing else.
func TestAccess(t *testing.T) {
	// Tree: 1 (root) / 2 (acme) / 3 (invoices) / 4 (2026); 2 / 5 (hr).
	a := NewAccess([]Grant{
		{NodeID: 3, Actions: List | Read},
		{NodeID: 4, Actions: Write},
	}, map[int64][]int64{3: {1, 2}, 4: {1, 2, 3}})
	tests := []struct {
		chain   []int64
		allowed Actions
		visible bool
	}{
		{[]int64{1}, None, true},
		{[]int64{1, 2}, None, true},
		{[]int64{1, 2, 5}, None, false},
		{[]int64{1, 2, 3}, List | Read, true},
		{[]int64{1, 2, 3, 4}, List | Read | Write, true},
		{[]int64{1, 2, 3, 4, 9}, List | Read | Write, true},
	}
	for _, tt := range tests {
		if got := a.Allowed(tt.chain); got != tt.allowed {
			t.Errorf("Allowed(%v) = %v, want %v", tt.chain, got, tt.allowed)
		}
		if got := a.Visible(tt.chain); got != tt.visible {
			t.Errorf("Visible(%v) = %v, want %v", tt.chain, got, tt.visible)
		}
	}
	if NewAccess(nil, nil).Visible([]int64{1}) {
		t.Error("no grants: the root must not be visible")
	}
}

func TestPasswords(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q is not PHC argon2id with the configured cost", h)
	}
	if !CheckPassword(h, "correct horse battery") || CheckPassword(h, "correct horse batterY") {
		t.Error("password check wrong")
	}
	if CheckPassword("", "anything") || CheckPassword("$argon2id$garbage", "x") {
		t.Error("an empty or malformed hash matched")
	}
	if _, err := HashPassword("short"); err == nil {
		t.Error("a 5-character password was accepted")
	}
}

func TestUserNames(t *testing.T) {
	for _, ok := range []string{"alice", "a.b-c_d@example.com", "X9"} {
		if err := CheckUserName(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"", ".hidden", "-x", "with space", "ünï", "a/b", strings.Repeat("a", 65)} {
		if err := CheckUserName(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseSSHKey(t *testing.T) {
	k, err := ParseSSHKey("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl carol@laptop\n")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(k.Fingerprint, "SHA256:") || k.Comment != "carol@laptop" {
		t.Errorf("key: %+v", k)
	}
	if _, err := ParseSSHKey(`from="10.1.1.1",expiry-time="20000101" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl`); err == nil || !strings.Contains(err.Error(), "not be enforced") {
		t.Errorf("key with options: %v, want a refusal", err)
	}
	if _, err := ParseSSHKey("ssh-rsa not-base64"); err == nil || !strings.Contains(err.Error(), "authorized_keys") {
		t.Errorf("bad key: %v", err)
	}
}
