package vfs

import (
	"context"
	"fmt"

	"strongroom/vfs/meta"
)

// MaxCopyNodes bounds how many files and folders one Copy may create, so
// that a single request cannot hold a transaction open over a whole tree.
const MaxCopyNodes = 10000

// CopyOptions change how Copy treats an existing destination.
type CopyOptions struct {
	// Replace lets the copy replace what is at the destination, which is
	// deleted first. A file copied over a file takes over its versions, so
	// the content it replaced stays in the history of that path; a
	// replaced folder's files keep theirs, out of reach, as deleted files
	// do.
	Replace bool
}

// Copy copies the file or folder tree at from to to. Files in the copy
// share the source's blobs: no content is read or written, whatever the
// size, and each copied file starts a history of its own.
//
// Rule: copying needs read on the source and write on the destination's
// folder (and delete on a destination it replaces).
func (s *Session) Copy(ctx context.Context, from, to string, opts CopyOptions) error {
	ev := s.event("copy", from)
	ev.Target = s.portalPath(to)
	return s.doDropping(ctx, ev, from, func(tx meta.Tx, dropped *[]string) error {
		src, err := s.resolve(tx, from)
		if err != nil {
			return err
		}
		if err := s.obeyLocks(tx, treeScope(to), parentScope(to)); err != nil {
			return err
		}
		parent, name, replaced, err := s.destination(tx, src, to, false, opts.Replace, dropped)
		if err != nil || parent == nil {
			return err
		}
		budget := MaxCopyNodes
		c, n, err := s.copyTree(tx, src.node, parent.node, name, &budget)
		ev.Bytes = n
		if err != nil || replaced == nil {
			return err
		}
		// The copy takes over the history of the file it replaced.
		return tx.MoveVersions(replaced.ID, c.ID)
	})
}

// copyTree copies node n as name into folder dir and returns the copy and
// the bytes of content it refers to.
func (s *Session) copyTree(tx meta.Tx, n, dir *meta.Node, name string, budget *int) (*meta.Node, int64, error) {
	*budget--
	if *budget < 0 {
		return nil, 0, invalidf("a copy may create at most %d items; copy smaller folders", MaxCopyNodes)
	}
	now := s.fs.now()
	c := &meta.Node{ParentID: dir.ID, TenantID: dir.TenantID, Name: name, IsDir: n.IsDir, ModTime: n.ModTime, Created: now}
	if err := tx.CreateNode(c); err != nil {
		return nil, 0, err
	}
	if err := copyProps(tx, n.ID, c.ID); err != nil {
		return nil, 0, err
	}
	if !n.IsDir && n.VersionID == 0 {
		return c, 0, nil // an empty file with no version yet
	}
	if !n.IsDir {
		v, err := tx.Version(n.VersionID)
		if err != nil {
			return nil, 0, fmt.Errorf("current version of %q: %w", n.Name, err)
		}
		nv := *v
		nv.ID, nv.NodeID, nv.CreatedBy, nv.CreatedName, nv.Created, nv.RestoredFrom = 0, c.ID, s.uid, s.name, now, 0
		if err := tx.AddVersion(&nv); err != nil {
			return nil, 0, err
		}
		return c, v.Size, tx.SetContent(c.ID, &nv, n.ModTime)
	}
	var total int64
	after := ""
	for {
		kids, err := tx.Children(n.ID, after, 500)
		if err != nil {
			return nil, 0, err
		}
		for _, k := range kids {
			_, size, err := s.copyTree(tx, k, c, k.Name, budget)
			if err != nil {
				return nil, 0, err
			}
			total += size
		}
		if len(kids) < 500 {
			return c, total, nil
		}
		after = kids[len(kids)-1].Name
	}
}

// copyProps gives the copy the source's WebDAV dead properties, which a
// COPY keeps (RFC 4918, 9.8.2).
func copyProps(tx meta.Tx, from, to int64) error {
	props, err := tx.Props(from)
	if err != nil {
		return err
	}
	for _, p := range props {
		if err := tx.SetProp(to, p); err != nil {
			return err
		}
	}
	return nil
}
