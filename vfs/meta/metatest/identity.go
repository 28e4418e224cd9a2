package metatest

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"strongroom/policy"
	"strongroom/vfs/meta"
)

const missingID = 1 << 40

func (su suite) testTenants(t *testing.T) {
	s := su.open(t)
	acme := &policy.Tenant{Name: "acme", RootID: 42}
	update(t, s, func(tx meta.Tx) error {
		if err := tx.CreateTenant(acme); err != nil {
			return err
		}
		return tx.CreateTenant(&policy.Tenant{Name: "Beta"})
	})
	err := s.Update(t.Context(), func(tx meta.Tx) error { return tx.CreateTenant(&policy.Tenant{Name: "acme"}) })
	wantErr(t, "CreateTenant taken", err, meta.ErrExists)

	view(t, s, func(tx meta.Tx) error {
		got, err := tx.Tenant(acme.ID)
		if err != nil || *got != *acme {
			t.Errorf("Tenant: got %+v, %v; want %+v", got, err, *acme)
		}
		got, err = tx.TenantByName("acme")
		if err != nil || *got != *acme {
			t.Errorf("TenantByName: got %+v, %v; want %+v", got, err, *acme)
		}
		all, err := tx.Tenants()
		var gotNames []string
		for _, tn := range all {
			gotNames = append(gotNames, tn.Name)
		}
		if want := []string{"Beta", "acme"}; err != nil || !slices.Equal(gotNames, want) {
			t.Errorf("Tenants: got %q, %v; want %q", gotNames, err, want)
		}
		_, err = tx.Tenant(missingID)
		wantErr(t, "Tenant missing", err, meta.ErrNotFound)
		_, err = tx.TenantByName("ACME")
		wantErr(t, "TenantByName in another case", err, meta.ErrNotFound)
		return nil
	})
}

func sameUser(got, want *policy.User) string {
	g, w := *got, *want
	if !g.Created.Equal(w.Created) {
		return fmt.Sprintf("got created %v, want %v", g.Created, w.Created)
	}
	g.Created, w.Created = time.Time{}, time.Time{}
	if g != w {
		return fmt.Sprintf("got %+v, want %+v", g, w)
	}
	return ""
}

func (su suite) testUsers(t *testing.T) {
	s := su.open(t)
	ann := &policy.User{Name: "ann", TenantID: 3, PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
		Admin: true, HomeID: meta.RootID, QuotaBytes: 1 << 30, UsedBytes: 10, RequireBoth: true, Created: t0}
	bob := &policy.User{Name: "Bob", Disabled: true, Created: t0}
	update(t, s, func(tx meta.Tx) error {
		if err := tx.CreateUser(ann); err != nil {
			return err
		}
		return tx.CreateUser(bob)
	})
	if ann.ID == 0 || bob.ID == ann.ID {
		t.Fatalf("user ids: got %d and %d, want distinct ids", ann.ID, bob.ID)
	}

	view(t, s, func(tx meta.Tx) error {
		got, err := tx.User(ann.ID)
		if err != nil {
			t.Fatalf("User: %v", err)
		}
		if d := sameUser(got, ann); d != "" {
			t.Errorf("User: %s", d)
		}
		got, err = tx.UserByName("Bob")
		if err != nil {
			t.Fatalf("UserByName: %v", err)
		}
		if d := sameUser(got, bob); d != "" {
			t.Errorf("UserByName: %s", d)
		}
		all, err := tx.Users()
		if err != nil || len(all) != 2 || all[0].Name != "Bob" || all[1].Name != "ann" {
			t.Errorf("Users: got %v, %v; want Bob then ann", all, err)
		}
		return nil
	})

	changed := *ann
	changed.Name, changed.Created = "renamed", t0.Add(time.Hour) // neither may change
	changed.PasswordHash, changed.Admin, changed.QuotaBytes, changed.Disabled = "", false, 0, true
	update(t, s, func(tx meta.Tx) error {
		if err := tx.UpdateUser(&changed); err != nil {
			return err
		}
		if err := tx.AddUsedBytes(ann.ID, 100); err != nil {
			return err
		}
		return tx.AddUsedBytes(ann.ID, -30)
	})
	view(t, s, func(tx meta.Tx) error {
		got, err := tx.User(ann.ID)
		if err != nil {
			t.Fatalf("User: %v", err)
		}
		want := changed
		want.Name, want.Created, want.UsedBytes = ann.Name, ann.Created, 80
		if d := sameUser(got, &want); d != "" {
			t.Errorf("after UpdateUser and AddUsedBytes: %s", d)
		}
		return nil
	})

	tests := []struct {
		name string
		fn   func(meta.Tx) error
		want error
	}{
		{"CreateUser taken", func(tx meta.Tx) error { return tx.CreateUser(&policy.User{Name: "ann"}) }, meta.ErrExists},
		{"User missing", func(tx meta.Tx) error { _, err := tx.User(missingID); return err }, meta.ErrNotFound},
		{"UserByName missing", func(tx meta.Tx) error { _, err := tx.UserByName("ANN"); return err }, meta.ErrNotFound},
		{"UpdateUser missing", func(tx meta.Tx) error { return tx.UpdateUser(&policy.User{ID: missingID}) }, meta.ErrNotFound},
		{"AddUsedBytes missing", func(tx meta.Tx) error { return tx.AddUsedBytes(missingID, 1) }, meta.ErrNotFound},
		{"RemoveUser missing", func(tx meta.Tx) error { return tx.RemoveUser(missingID) }, meta.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, tc.name, s.Update(t.Context(), tc.fn), tc.want)
		})
	}

	// Removing a user removes their keys, tokens, memberships and grants.
	var g policy.Group
	update(t, s, func(tx meta.Tx) error {
		g = policy.Group{Name: "staff"}
		if err := tx.CreateGroup(&g); err != nil {
			return err
		}
		if err := tx.AddMember(g.ID, ann.ID); err != nil {
			return err
		}
		if err := tx.AddSSHKey(&policy.SSHKey{UserID: ann.ID, Fingerprint: "SHA256:a", Key: "ssh-ed25519 AAAA"}); err != nil {
			return err
		}
		if err := tx.AddAppToken(&meta.AppToken{UserID: ann.ID, Name: "laptop", Hash: []byte("h1"), Created: t0}); err != nil {
			return err
		}
		return tx.AddGrant(&policy.Grant{NodeID: meta.RootID, UserID: ann.ID, Actions: policy.Read})
	})
	update(t, s, func(tx meta.Tx) error { return tx.RemoveUser(ann.ID) })
	view(t, s, func(tx meta.Tx) error {
		_, err := tx.User(ann.ID)
		wantErr(t, "User after RemoveUser", err, meta.ErrNotFound)
		keys, err1 := tx.SSHKeys(ann.ID)
		toks, err2 := tx.AppTokens(ann.ID)
		grants, err3 := tx.GrantsOn(meta.RootID)
		groups, err4 := tx.GroupsOf(ann.ID)
		if len(keys)+len(toks)+len(grants)+len(groups) != 0 {
			t.Errorf("after RemoveUser: got %d keys, %d tokens, %d grants, %d groups (%v %v %v %v); want none",
				len(keys), len(toks), len(grants), len(groups), err1, err2, err3, err4)
		}
		return nil
	})
}

func (su suite) testGroups(t *testing.T) {
	s := su.open(t)
	ann := &policy.User{Name: "ann", Created: t0}
	staff := &policy.Group{Name: "staff", TenantID: 2}
	admins := &policy.Group{Name: "admins"}
	update(t, s, func(tx meta.Tx) error {
		for _, g := range []*policy.Group{staff, admins} {
			if err := tx.CreateGroup(g); err != nil {
				return err
			}
		}
		if err := tx.CreateUser(ann); err != nil {
			return err
		}
		if err := tx.AddMember(staff.ID, ann.ID); err != nil {
			return err
		}
		if err := tx.AddMember(staff.ID, ann.ID); err != nil { // again: no change
			return err
		}
		return tx.AddMember(admins.ID, ann.ID)
	})
	view(t, s, func(tx meta.Tx) error {
		got, err := tx.GroupByName("staff")
		if err != nil || *got != *staff {
			t.Errorf("GroupByName: got %+v, %v; want %+v", got, err, *staff)
		}
		all, err := tx.Groups()
		if err != nil || len(all) != 2 || *all[0] != *admins || *all[1] != *staff {
			t.Errorf("Groups: got %v, %v; want admins then staff", all, err)
		}
		of, err := tx.GroupsOf(ann.ID)
		if err != nil || len(of) != 2 || of[0].Name != "admins" || of[1].Name != "staff" {
			t.Errorf("GroupsOf: got %v, %v; want admins and staff", of, err)
		}
		return nil
	})
	update(t, s, func(tx meta.Tx) error { return tx.RemoveMember(admins.ID, ann.ID) })
	view(t, s, func(tx meta.Tx) error {
		of, err := tx.GroupsOf(ann.ID)
		if err != nil || len(of) != 1 || of[0].Name != "staff" {
			t.Errorf("GroupsOf after RemoveMember: got %v, %v; want staff", of, err)
		}
		return nil
	})

	tests := []struct {
		name string
		fn   func(meta.Tx) error
		want error
	}{
		{"CreateGroup taken", func(tx meta.Tx) error { return tx.CreateGroup(&policy.Group{Name: "staff"}) }, meta.ErrExists},
		{"GroupByName missing", func(tx meta.Tx) error { _, err := tx.GroupByName("Staff"); return err }, meta.ErrNotFound},
		{"AddMember missing user", func(tx meta.Tx) error { return tx.AddMember(staff.ID, missingID) }, meta.ErrNotFound},
		{"AddMember missing group", func(tx meta.Tx) error { return tx.AddMember(missingID, ann.ID) }, meta.ErrNotFound},
		{"RemoveMember not a member", func(tx meta.Tx) error { return tx.RemoveMember(admins.ID, ann.ID) }, meta.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, tc.name, s.Update(t.Context(), tc.fn), tc.want)
		})
	}
}

func (su suite) testSSHKeys(t *testing.T) {
	s := su.open(t)
	ann, bob := &policy.User{Name: "ann", Created: t0}, &policy.User{Name: "bob", Created: t0}
	k1 := &policy.SSHKey{Fingerprint: "SHA256:one", Key: "ssh-ed25519 AAAAone", Comment: "laptop"}
	k2 := &policy.SSHKey{Fingerprint: "SHA256:two", Key: "ssh-ed25519 AAAAtwo"}
	kb := &policy.SSHKey{Fingerprint: "SHA256:one", Key: "ssh-ed25519 AAAAone"}
	update(t, s, func(tx meta.Tx) error {
		if err := tx.CreateUser(ann); err != nil {
			return err
		}
		if err := tx.CreateUser(bob); err != nil {
			return err
		}
		k1.UserID, k2.UserID, kb.UserID = ann.ID, ann.ID, bob.ID
		for _, k := range []*policy.SSHKey{k1, k2, kb} { // one key may serve two users
			if err := tx.AddSSHKey(k); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx meta.Tx) error {
		keys, err := tx.SSHKeys(ann.ID)
		if err != nil || len(keys) != 2 || *keys[0] != *k1 || *keys[1] != *k2 {
			t.Errorf("SSHKeys: got %v, %v; want %+v, %+v", keys, err, *k1, *k2)
		}
		return nil
	})
	update(t, s, func(tx meta.Tx) error { return tx.RemoveSSHKey(k1.ID) })

	tests := []struct {
		name string
		fn   func(meta.Tx) error
		want error
	}{
		{"AddSSHKey same fingerprint", func(tx meta.Tx) error {
			return tx.AddSSHKey(&policy.SSHKey{UserID: ann.ID, Fingerprint: "SHA256:two", Key: "x"})
		}, meta.ErrExists},
		{"AddSSHKey missing user", func(tx meta.Tx) error {
			return tx.AddSSHKey(&policy.SSHKey{UserID: missingID, Fingerprint: "SHA256:x", Key: "x"})
		}, meta.ErrNotFound},
		{"RemoveSSHKey again", func(tx meta.Tx) error { return tx.RemoveSSHKey(k1.ID) }, meta.ErrNotFound},
		{"SSHKeys after remove", func(tx meta.Tx) error {
			keys, err := tx.SSHKeys(ann.ID)
			if err == nil && (len(keys) != 1 || keys[0].ID != k2.ID) {
				return fmt.Errorf("got %v, want only key %d", keys, k2.ID)
			}
			return err
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, tc.name, s.Update(t.Context(), tc.fn), tc.want)
		})
	}
}

func (su suite) testAppTokens(t *testing.T) {
	s := su.open(t)
	ann := &policy.User{Name: "ann", Created: t0}
	a1 := &meta.AppToken{Name: "laptop", Hash: bytes.Repeat([]byte{1}, 32), Created: t0, LastUsed: t0.Add(time.Hour)}
	a2 := &meta.AppToken{Name: "phone", Hash: bytes.Repeat([]byte{2}, 32), Created: t0}
	update(t, s, func(tx meta.Tx) error {
		if err := tx.CreateUser(ann); err != nil {
			return err
		}
		a1.UserID, a2.UserID = ann.ID, ann.ID
		if err := tx.AddAppToken(a1); err != nil {
			return err
		}
		return tx.AddAppToken(a2)
	})
	same := func(got, want *meta.AppToken) bool {
		return got.ID == want.ID && got.UserID == want.UserID && got.Name == want.Name &&
			bytes.Equal(got.Hash, want.Hash) && got.Created.Equal(want.Created) && got.LastUsed.Equal(want.LastUsed)
	}
	view(t, s, func(tx meta.Tx) error {
		got, err := tx.AppTokenByHash(a1.Hash)
		if err != nil || !same(got, a1) {
			t.Errorf("AppTokenByHash: got %+v, %v; want %+v", got, err, *a1)
		}
		all, err := tx.AppTokens(ann.ID)
		if err != nil || len(all) != 2 || !same(all[0], a1) || !same(all[1], a2) {
			t.Errorf("AppTokens: got %v, %v; want laptop then phone", all, err)
		}
		return nil
	})
	update(t, s, func(tx meta.Tx) error { return tx.RemoveAppToken(a1.ID) })

	tests := []struct {
		name string
		fn   func(meta.Tx) error
		want error
	}{
		{"AddAppToken same hash", func(tx meta.Tx) error {
			return tx.AddAppToken(&meta.AppToken{UserID: ann.ID, Hash: a2.Hash, Created: t0})
		}, meta.ErrExists},
		{"AddAppToken missing user", func(tx meta.Tx) error {
			return tx.AddAppToken(&meta.AppToken{UserID: missingID, Hash: []byte("x"), Created: t0})
		}, meta.ErrNotFound},
		{"AppTokenByHash removed", func(tx meta.Tx) error { _, err := tx.AppTokenByHash(a1.Hash); return err }, meta.ErrNotFound},
		{"RemoveAppToken again", func(tx meta.Tx) error { return tx.RemoveAppToken(a1.ID) }, meta.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, tc.name, s.Update(t.Context(), tc.fn), tc.want)
		})
	}
}

func (su suite) testGrants(t *testing.T) {
	s := su.open(t)
	ann, bob := &policy.User{Name: "ann", Created: t0}, &policy.User{Name: "bob", Created: t0}
	staff := &policy.Group{Name: "staff"}
	var n1, n2 *meta.Node
	update(t, s, func(tx meta.Tx) error {
		n1 = mkdir(t, tx, meta.RootID, "n1")
		n2 = mkdir(t, tx, meta.RootID, "n2")
		for _, u := range []*policy.User{ann, bob} {
			if err := tx.CreateUser(u); err != nil {
				return err
			}
		}
		if err := tx.CreateGroup(staff); err != nil {
			return err
		}
		return tx.AddMember(staff.ID, ann.ID)
	})

	var first, again, group, other policy.Grant
	update(t, s, func(tx meta.Tx) error {
		first = policy.Grant{NodeID: n1.ID, UserID: ann.ID, Actions: policy.List | policy.Read}
		if err := tx.AddGrant(&first); err != nil {
			return err
		}
		again = policy.Grant{NodeID: n1.ID, UserID: ann.ID, Actions: policy.Write}
		if err := tx.AddGrant(&again); err != nil {
			return err
		}
		group = policy.Grant{NodeID: n2.ID, GroupID: staff.ID, Actions: policy.All}
		if err := tx.AddGrant(&group); err != nil {
			return err
		}
		other = policy.Grant{NodeID: n1.ID, UserID: bob.ID, Actions: policy.Read}
		return tx.AddGrant(&other)
	})
	if want := policy.List | policy.Read | policy.Write; again.ID != first.ID || again.Actions != want {
		t.Errorf("AddGrant to an existing grant: got id %d actions %v, want id %d actions %v",
			again.ID, again.Actions, first.ID, want)
	}

	merged := policy.Grant{ID: first.ID, NodeID: n1.ID, UserID: ann.ID, Actions: policy.List | policy.Read | policy.Write}
	view(t, s, func(tx meta.Tx) error {
		got, err := tx.GrantsFor(ann.ID)
		if want := []policy.Grant{merged, group}; err != nil || !slices.Equal(got, want) {
			t.Errorf("GrantsFor(ann): got %+v, %v; want %+v", got, err, want)
		}
		got, err = tx.GrantsOn(n1.ID)
		if want := []policy.Grant{merged, other}; err != nil || !slices.Equal(got, want) {
			t.Errorf("GrantsOn(n1): got %+v, %v; want %+v", got, err, want)
		}
		return nil
	})

	update(t, s, func(tx meta.Tx) error { return tx.RemoveGrant(n2.ID, 0, staff.ID) })
	tests := []struct {
		name string
		fn   func(meta.Tx) error
		want error
	}{
		{"RemoveGrant again", func(tx meta.Tx) error { return tx.RemoveGrant(n2.ID, 0, staff.ID) }, meta.ErrNotFound},
		{"RemoveGrant of another subject", func(tx meta.Tx) error { return tx.RemoveGrant(n2.ID, ann.ID, 0) }, meta.ErrNotFound},
		{"AddGrant missing node", func(tx meta.Tx) error {
			return tx.AddGrant(&policy.Grant{NodeID: missingID, UserID: ann.ID, Actions: policy.Read})
		}, meta.ErrNotFound},
		{"AddGrant missing user", func(tx meta.Tx) error {
			return tx.AddGrant(&policy.Grant{NodeID: n1.ID, UserID: missingID, Actions: policy.Read})
		}, meta.ErrNotFound},
		{"AddGrant missing group", func(tx meta.Tx) error {
			return tx.AddGrant(&policy.Grant{NodeID: n1.ID, GroupID: missingID, Actions: policy.Read})
		}, meta.ErrNotFound},
		{"GrantsFor after RemoveGrant", func(tx meta.Tx) error {
			got, err := tx.GrantsFor(ann.ID)
			if err == nil && !slices.Equal(got, []policy.Grant{merged}) {
				return fmt.Errorf("got %+v, want %+v", got, merged)
			}
			return err
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, tc.name, s.Update(t.Context(), tc.fn), tc.want)
		})
	}
	for _, g := range []policy.Grant{{NodeID: n1.ID}, {NodeID: n1.ID, UserID: ann.ID, GroupID: staff.ID}} {
		if err := s.Update(t.Context(), func(tx meta.Tx) error { return tx.AddGrant(&g) }); err == nil {
			t.Errorf("AddGrant(%+v): got no error, want one for a grant without exactly one subject", g)
		}
	}
}

func (su suite) testPolicyGeneration(t *testing.T) {
	s := su.open(t)
	var before int64
	view(t, s, func(tx meta.Tx) error {
		var err error
		before, err = tx.PolicyGeneration()
		return err
	})
	update(t, s, func(tx meta.Tx) error {
		if err := tx.BumpPolicyGeneration(); err != nil {
			return err
		}
		return tx.BumpPolicyGeneration()
	})
	s.Update(t.Context(), func(tx meta.Tx) error {
		tx.BumpPolicyGeneration()
		return errRollback // not counted
	})
	view(t, s, func(tx meta.Tx) error {
		got, err := tx.PolicyGeneration()
		if err != nil || got != before+2 {
			t.Errorf("PolicyGeneration: got %d, %v; want %d", got, err, before+2)
		}
		return nil
	})
}
