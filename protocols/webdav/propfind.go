package webdav

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"

	"strongroom/vfs"
)

// A propfindReq is what a PROPFIND asks for: every property (with
// include, some more that allprop leaves out), their names only, or the
// properties named.
type propfindReq struct {
	allprop  bool
	propname bool
	names    []xml.Name
}

// parsePropfind reads a PROPFIND body; an empty one asks for allprop.
func parsePropfind(n *xnode) (*propfindReq, error) {
	if n == nil {
		return &propfindReq{allprop: true}, nil
	}
	if !n.is(nsDAV, "propfind") {
		return nil, errorf("a PROPFIND body must be a DAV:propfind element")
	}
	pf := &propfindReq{}
	kinds := 0
	for _, k := range n.elems() {
		switch {
		case k.is(nsDAV, "allprop"):
			pf.allprop = true
			kinds++
		case k.is(nsDAV, "propname"):
			pf.propname = true
			kinds++
		case k.is(nsDAV, "prop"):
			for _, p := range k.elems() {
				pf.names = append(pf.names, p.name)
			}
			kinds++
		case k.is(nsDAV, "include"):
			if !pf.allprop && kinds > 0 {
				return nil, errorf("DAV:include goes with DAV:allprop only")
			}
			for _, p := range k.elems() {
				pf.names = append(pf.names, p.name)
			}
		}
	}
	if kinds != 1 {
		return nil, errorf("a PROPFIND body needs exactly one of DAV:allprop, DAV:propname and DAV:prop")
	}
	return pf, nil
}

// wantsDead reports whether answering pf needs dead properties.
func (pf *propfindReq) wantsDead() bool {
	if pf.allprop || pf.propname {
		return true
	}
	for _, n := range pf.names {
		if !isLive(n) {
			return true
		}
	}
	return false
}

func (pf *propfindReq) wants(space, local string) bool {
	if pf.allprop || pf.propname {
		return true
	}
	for _, n := range pf.names {
		if n.Space == space && n.Local == local {
			return true
		}
	}
	return false
}

// propfind lists the properties of the Request-URI and, with Depth 1 or
// infinity, of what is below it.
func (q *request) propfind() (int, error) {
	depth, err := q.depth(true)
	if err != nil {
		return q.reject(err)
	}
	body, err := q.readBody()
	if err != nil {
		return q.reject(err)
	}
	pf, err := parsePropfind(body)
	if err != nil {
		return q.reject(err)
	}
	if err := q.checkIf(); err != nil {
		return statusOf(err), err
	}
	if q.h.hidden(q.path) {
		return http.StatusNotFound, statusErrorf(http.StatusNotFound, "not found")
	}
	fi, err := q.sess.Stat(q.ctx, q.path)
	if err != nil {
		return statusOf(err), err
	}

	// Depth infinity is bounded, and refused when the bound is zero.
	if depth < 0 && fi.IsDir() && q.h.maxDepth <= 0 {
		return q.reject(&httpError{status: http.StatusForbidden,
			msg: "Depth: infinity is not served here; use Depth: 1", cond: "propfind-finite-depth"})
	}

	pc := &propContext{q: q, pf: pf}
	if pf.wants(nsDAV, "lockdiscovery") {
		if pc.locks, err = q.sess.Locks(q.ctx, q.path, depth != 0 && fi.IsDir()); err != nil {
			return statusOf(err), err
		}
	}
	if wantsQuota(pf) && fi.IsDir() {
		used, quota, err := q.sess.Usage(q.ctx)
		if err != nil {
			return statusOf(err), err
		}
		pc.used, pc.quota = used, quota
	}
	if depth < 0 && fi.IsDir() {
		return q.propfindTree(pc, fi)
	}

	ms := newMultistatus(q.w)
	var dead []vfs.Prop
	if pf.wantsDead() {
		if dead, err = q.sess.Props(q.ctx, q.path); err != nil {
			return statusOf(err), err
		}
	}
	if err := ms.propResponse(q.h.href(q.path, fi.IsDir()), pc.props(fi, dead)); err != nil {
		return 0, errClientGone
	}
	if depth == 1 && fi.IsDir() {
		if err := q.propfindChildren(ms, pc, q.path); err != nil {
			return 0, err
		}
	}
	if err := ms.close(); err != nil {
		return 0, errClientGone
	}
	return 0, nil
}

// propfindChildren streams the entries of folder p, a page at a time.
// An error after the reply has started cannot change its status, so it
// cuts the connection: a client must not take half a listing for all.
func (q *request) propfindChildren(ms *multistatus, pc *propContext, p string) error {
	var dead map[string][]vfs.Prop
	if pc.pf.wantsDead() {
		var err error
		if dead, err = q.sess.ChildProps(q.ctx, p); err != nil {
			panic(http.ErrAbortHandler)
		}
	}
	after := ""
	for {
		page, more, err := q.sess.List(q.ctx, p, vfs.ListOptions{After: after})
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		for _, fi := range page {
			if q.h.hidden(fi.Path()) {
				continue
			}
			if err := ms.propResponse(q.h.href(fi.Path(), fi.IsDir()), pc.props(fi, dead[fi.Name()])); err != nil {
				return errClientGone
			}
		}
		if !more || len(page) == 0 {
			return nil
		}
		after = page[len(page)-1].Name()
	}
}

// propfindTree answers Depth: infinity. It gathers the whole tree first,
// up to MaxDepthItems, so that a tree over the bound is refused with a
// clean 403 rather than cut short.
func (q *request) propfindTree(pc *propContext, root *vfs.FileInfo) (int, error) {
	type entry struct {
		fi   *vfs.FileInfo
		dead []vfs.Prop
	}
	tooMany := &httpError{status: http.StatusForbidden, cond: "propfind-finite-depth",
		msg: fmt.Sprintf("the tree has more than %d items; list it with Depth: 1", q.h.maxDepth)}
	var entries []entry
	self := entry{fi: root}
	if pc.pf.wantsDead() {
		var err error
		if self.dead, err = q.sess.Props(q.ctx, root.Path()); err != nil {
			return statusOf(err), err
		}
	}
	entries = append(entries, self)
	for i := 0; i < len(entries); i++ {
		dir := entries[i].fi
		if !dir.IsDir() {
			continue
		}
		var dead map[string][]vfs.Prop
		if pc.pf.wantsDead() {
			var err error
			if dead, err = q.sess.ChildProps(q.ctx, dir.Path()); err != nil {
				return statusOf(err), err
			}
		}
		after := ""
		for {
			page, more, err := q.sess.List(q.ctx, dir.Path(), vfs.ListOptions{After: after})
			if err != nil {
				return statusOf(err), err
			}
			for _, fi := range page {
				if q.h.hidden(fi.Path()) {
					continue
				}
				if len(entries) >= q.h.maxDepth {
					return q.reject(tooMany)
				}
				entries = append(entries, entry{fi: fi, dead: dead[fi.Name()]})
			}
			if !more || len(page) == 0 {
				break
			}
			after = page[len(page)-1].Name()
		}
	}

	ms := newMultistatus(q.w)
	for _, e := range entries {
		if err := ms.propResponse(q.h.href(e.fi.Path(), e.fi.IsDir()), pc.props(e.fi, e.dead)); err != nil {
			return 0, errClientGone
		}
	}
	if err := ms.close(); err != nil {
		return 0, errClientGone
	}
	return 0, nil
}

// depth reads the Depth header: 0, 1, or -1 for infinity, which is what
// its absence means. Depth 1 is refused unless one is allowed.
func (q *request) depth(oneOK bool) (int, error) {
	switch q.r.Header.Get("Depth") {
	case "0":
		return 0, nil
	case "1":
		if oneOK {
			return 1, nil
		}
	case "", "infinity", "Infinity":
		return -1, nil
	}
	if oneOK {
		return 0, errorf("the Depth header must be 0, 1 or infinity")
	}
	return 0, errorf("the Depth header must be 0 or infinity")
}

// checkIf evaluates the If header, if the request has one: a 412, and a
// record of the refusal, unless it holds. It comes before the check of
// locks, so that a lock token that is not the user's, or not current,
// fails the request with 412.
func (q *request) checkIf() error {
	if q.cond == nil {
		return nil
	}
	ok, err := q.cond.eval(q.stateOf)
	if err != nil {
		return err
	}
	if !ok {
		err := statusErrorf(http.StatusPreconditionFailed, "the conditions of the If header do not hold")
		q.record(message(http.StatusPreconditionFailed, err))
		return err
	}
	return nil
}

// stateOf looks up the resource an If list is about.
func (q *request) stateOf(tag string) (resourceState, bool, error) {
	p := q.path
	if tag != "" {
		var ok bool
		if p, ok = q.tagPath(tag); !ok {
			return resourceState{}, false, nil
		}
	}
	st := resourceState{tokens: make(map[string]bool)}
	fi, err := q.sess.Stat(q.ctx, p)
	switch {
	case err == nil:
		st.etag = etag(fi)
	case errors.Is(err, vfs.ErrNotExist):
	case statusOf(err) >= 500:
		return st, false, err
	default:
		return st, false, nil
	}
	locks, err := q.sess.Locks(q.ctx, p, false)
	if err != nil && statusOf(err) >= 500 {
		return st, false, err
	}
	for _, l := range locks {
		if l.Mine {
			st.tokens[l.Token] = true
		}
	}
	return st, true, nil
}
