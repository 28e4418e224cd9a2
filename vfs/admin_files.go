package vfs

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"strongroom/audit"
	"strongroom/vfs/meta"
)

// Versions lists the versions of the file at portal path p, newest first.
func (a *Admin) Versions(ctx context.Context, p string) ([]Version, error) {
	var out []Version
	err := a.fs.view(ctx, func(tx meta.Tx) error {
		n, _, err := a.lookup(tx, p)
		if err != nil {
			return err
		}
		if n.IsDir {
			return &Error{Op: "versions", Kind: KindIsDir, Err: fmt.Errorf("%s is a folder", p)}
		}
		vs, err := tx.Versions(n.ID)
		for _, v := range vs {
			out = append(out, newVersion(v, n.VersionID))
		}
		return err
	})
	if err != nil {
		return nil, &Error{Op: "versions", Path: p, Kind: classify(err), Err: err}
	}
	return out, nil
}

// Restore makes version id of the file at portal path p current again.
func (a *Admin) Restore(ctx context.Context, p, versionID string) (*Version, error) {
	var out Version
	err := a.do(ctx, "restore", p, func(tx meta.Tx, ev *audit.Event) error {
		ev.Version = versionID
		id, err := parseVersionID(versionID)
		if err != nil {
			return err
		}
		n, _, err := a.lookup(tx, p)
		if err != nil {
			return err
		}
		if n.IsDir {
			return &Error{Op: "restore", Kind: KindIsDir, Err: fmt.Errorf("%s is a folder", p)}
		}
		v, err := restoreVersion(tx, n, id, 0, a.actor, a.fs.now())
		if err != nil {
			return err
		}
		ev.Bytes = v.Size
		out = newVersion(v, v.ID)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// AuditEvents calls fn for each audit record f selects, oldest first. An
// administrator limited to a tenant sees that tenant's records only.
func (a *Admin) AuditEvents(ctx context.Context, f meta.AuditFilter, fn func(*audit.Event) error) error {
	var tenant string
	return a.fs.view(ctx, func(tx meta.Tx) error {
		if a.scope != 0 {
			t, err := tx.Tenant(a.scope)
			if err != nil {
				return err
			}
			tenant = t.Name
		}
		prefix := strings.TrimSuffix(f.PathPrefix, "/")
		return tx.AuditEvents(f, func(e *audit.Event) error {
			if a.scope != 0 && e.Tenant != tenant {
				return nil
			}
			// The store matches a prefix of bytes; a path filter means
			// the path and what is below it, not "/a" matching "/ab".
			if prefix != "" && e.Path != prefix && !strings.HasPrefix(e.Path, prefix+"/") {
				return nil
			}
			return fn(e)
		})
	})
}

// VerifyAudit checks the whole audit chain. It returns the number of
// records checked, the chain heads, and a *audit.BadRecordError naming
// the first record that fails.
func (a *Admin) VerifyAudit(ctx context.Context) (int64, []audit.Head, error) {
	if a.scope != 0 {
		return 0, nil, &Error{Op: "audit verify", Kind: KindPermission, Err: errors.New("only portal administrators verify the whole chain")}
	}
	v := audit.NewVerifier()
	var heads []audit.Head
	err := a.fs.view(ctx, func(tx meta.Tx) error {
		if err := tx.AuditChainEvents(v.Add); err != nil {
			return err
		}
		var err error
		if heads, err = tx.AuditHeads(); err != nil {
			return err
		}
		return v.Finish(heads)
	})
	return v.Count, heads, err
}

// Mkdir makes the folder at portal path p, and with parents any folders
// above it that are missing, as `mkdir -p` does. A folder made inside a
// tenant's folder belongs to that tenant.
func (a *Admin) Mkdir(ctx context.Context, p string, parents bool) error {
	return a.do(ctx, "mkdir", p, func(tx meta.Tx, ev *audit.Event) error {
		segs, err := splitPath(p)
		if err != nil {
			return err
		}
		if len(segs) == 0 {
			return &Error{Op: "mkdir", Kind: KindExist, Err: errors.New("the root folder exists")}
		}
		dir, err := tx.Node(meta.RootID)
		if err != nil {
			return err
		}
		for i, name := range segs {
			child, err := tx.Child(dir.ID, name)
			last := i == len(segs)-1
			switch {
			case err == nil && !child.IsDir:
				return &Error{Op: "mkdir", Kind: KindNotDir, Err: fmt.Errorf("%s is a file", joinPath(segs[:i+1]))}
			case err == nil && last:
				return &Error{Op: "mkdir", Kind: KindExist, Err: fmt.Errorf("%s exists", p)}
			case err == nil:
				dir = child
				continue
			case !errors.Is(err, meta.ErrNotFound):
				return err
			case !last && !parents:
				return &Error{Op: "mkdir", Kind: KindNotExist, Err: fmt.Errorf("no folder %s: make it first, or pass -p", joinPath(segs[:i+1]))}
			}
			if a.scope != 0 && dir.TenantID != a.scope {
				return &Error{Op: "mkdir", Kind: KindNotExist, Err: fmt.Errorf("no folder %s", joinPath(segs[:i]))}
			}
			if err := checkNewName(name); err != nil {
				return err
			}
			now := a.fs.now()
			n := &meta.Node{ParentID: dir.ID, TenantID: dir.TenantID, Name: name, IsDir: true, ModTime: now, Created: now}
			if err := tx.CreateNode(n); err != nil {
				return err
			}
			dir = n
		}
		return nil
	})
}
