package webdav

import (
	"encoding/xml"
	"net/http"

	"strongroom/vfs"
)

// parsePropertyUpdate reads a PROPPATCH body into patches, in document
// order, which is the order RFC 4918 says they apply in.
//
// TODO: an xml:lang on the property element itself is dropped (one inside
// its value is kept), so PROPFIND does not give it back as RFC 4918
// section 4.3 asks. Fix: keep the language in vfs.Prop and the props
// table, and write it on the property element in replies.
func parsePropertyUpdate(n *xnode) ([]vfs.PropPatch, error) {
	if n == nil || !n.is(nsDAV, "propertyupdate") {
		return nil, errorf("a PROPPATCH body must be a DAV:propertyupdate element")
	}
	var out []vfs.PropPatch
	for _, op := range n.elems() {
		remove := op.is(nsDAV, "remove")
		if !remove && !op.is(nsDAV, "set") {
			return nil, errorf("a DAV:propertyupdate holds only DAV:set and DAV:remove")
		}
		for _, pr := range op.elems() {
			if !pr.is(nsDAV, "prop") {
				return nil, errorf("DAV:set and DAV:remove hold DAV:prop elements")
			}
			for _, p := range pr.elems() {
				pt := vfs.PropPatch{Prop: vfs.Prop{Space: p.name.Space, Name: p.name.Local}, Remove: remove}
				if !remove {
					pt.XML = inner(p)
				}
				out = append(out, pt)
			}
		}
	}
	if len(out) == 0 {
		return nil, errorf("the PROPPATCH names no property")
	}
	return out, nil
}

// proppatch sets and removes dead properties, all or none. Properties in
// DAV: are the server's and cannot be set: a request that names one
// changes nothing, and its reply says which.
func (q *request) proppatch() (int, error) {
	body, err := q.readBody()
	if err != nil {
		return q.reject(err)
	}
	patches, err := parsePropertyUpdate(body)
	if err != nil {
		return q.reject(err)
	}
	if q.h.hidden(q.path) {
		return http.StatusNotFound, statusErrorf(http.StatusNotFound, "not found")
	}
	if err := q.checkIf(); err != nil {
		return statusOf(err), err
	}
	fi, err := q.sess.Stat(q.ctx, q.path)
	if err != nil {
		return statusOf(err), err
	}
	if _, err := q.checkLocks(item(q.path)); err != nil {
		return statusOf(err), err
	}

	protected := false
	for _, p := range patches {
		protected = protected || p.Space == nsDAV
	}
	err = q.sess.PatchProps(q.ctx, q.path, patches)
	if err != nil && !protected {
		return statusOf(err), err
	}
	ok, refused, failed := propstat{status: http.StatusOK}, propstat{status: http.StatusForbidden},
		propstat{status: http.StatusFailedDependency}
	for _, p := range patches {
		pr := prop{name: xml.Name{Space: p.Space, Local: p.Name}}
		switch {
		case !protected:
			ok.props = append(ok.props, pr)
		case p.Space == nsDAV:
			refused.props = append(refused.props, pr)
		default:
			failed.props = append(failed.props, pr)
		}
	}
	ms := newMultistatus(q.w)
	if err := ms.propResponse(q.h.href(q.path, fi.IsDir()), []propstat{ok, refused, failed}); err != nil {
		return 0, errClientGone
	}
	if err := ms.close(); err != nil {
		return 0, errClientGone
	}
	return 0, nil
}
