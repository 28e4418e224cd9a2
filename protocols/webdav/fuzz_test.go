package webdav

import (
	"net/url"
	"strings"
	"testing"

	"strongroom/vfs"
)

// FuzzSessionPath checks that whatever a request path holds, what it
// maps to is a clean session path vfs accepts, and that the href made
// for it maps back to it.
func FuzzSessionPath(f *testing.F) {
	for _, s := range []string{
		"/dav/", "/dav", "/dav/a/b/", "/dav/a%2fb", "/dav/%2e%2e/x", "/dav/../x", "/dav//a//b",
		"/dav/res-%e2%82%ac", "/dav/a%00b", "/dav/%zz", "/dav/frag/#ment", "/davx/a", "/dav/a b/c%20d",
		"/dav/" + strings.Repeat("x", 300), "/dav/%C3%A9t%C3%A9", "/dav/e%CC%81te", "/dav/.", "/dav/..%5c",
	} {
		f.Add(s)
	}
	h := New(nil, nil, nil)
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := url.ParseRequestURI(raw)
		if err != nil {
			return
		}
		p, _, err := h.sessionPath(u, false)
		if err != nil {
			return
		}
		if !strings.HasPrefix(p, "/") || (p != "/" && strings.HasSuffix(p, "/")) || strings.Contains(p, "//") {
			t.Fatalf("%q maps to %q, not a clean path", raw, p)
		}
		if p != "/" {
			for _, seg := range strings.Split(p[1:], "/") {
				if err := vfs.CheckName(seg); err != nil {
					t.Fatalf("%q maps to %q, whose segment %q vfs refuses: %v", raw, p, seg, err)
				}
			}
		}
		back, err := url.ParseRequestURI(h.href(p, false))
		if err != nil {
			t.Fatalf("href of %q does not parse: %v", p, err)
		}
		if p2, _, err := h.sessionPath(back, false); err != nil || p2 != p {
			t.Fatalf("href %q of %q maps back to %q, %v", h.href(p, false), p, p2, err)
		}
	})
}

// FuzzXML checks that no body makes the parser or the request parsers
// panic, and that a parsed element's content, serialized, parses back
// to the same serialization: what is stored as a property value or a
// lock's owner keeps its meaning.
func FuzzXML(f *testing.F) {
	for _, s := range []string{
		`<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`,
		`<D:propfind xmlns:D="DAV:"><D:prop><bar:foo xmlns:bar=""/></D:prop></D:propfind>`,
		`<propfind xmlns="DAV:"><prop><getetag/><x:a xmlns:x="urn:x"/></prop></propfind>`,
		`<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:a xml:lang="en">v<Z:b c="d">&amp;</Z:b></Z:a></D:prop></D:set><D:remove><D:prop><Z:c/></D:prop></D:remove></D:propertyupdate>`,
		`<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner><D:href>me</D:href></D:owner></D:lockinfo>`,
		`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>`,
		`<a xmlns:p="urn:p" p:q="1" xmlns="urn:d"><b xmlns=""><p:c/></b></a>`,
		`<x>` + strings.Repeat("<y>", 40) + strings.Repeat("</y>", 40) + `</x>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := parseXML(data)
		if err != nil {
			return
		}
		parsePropfind(n)
		parsePropertyUpdate(n)
		parseLockInfo(n)

		first := inner(n)
		again, err := parseXML([]byte(`<w xmlns="urn:wrap">` + first + `</w>`))
		if err != nil {
			t.Fatalf("serialized content does not parse: %v\n%s", err, first)
		}
		if second := inner(again); second != first {
			t.Fatalf("serialization is not stable:\nfirst  %s\nsecond %s", first, second)
		}
	})
}

// FuzzIf checks that the If header parser refuses or accepts, never
// panics, and that what it accepts evaluates.
func FuzzIf(f *testing.F) {
	for _, s := range []string{
		`(<urn:uuid:1>)`, `(Not <DAV:no-lock>)`, `(<urn:uuid:1> ["12"]) (Not <DAV:no-lock> ["12"])`,
		`</dav/a> (<urn:uuid:1>) </dav/b> (["3"])`, `(<urn:x> [bogus`, `(<urn:x>) </dav/> (<urn:y>)`,
		`()`, `<http://h/dav/x> (<opaquelocktoken:abc>)`, `(NOT<urn:a>[W/"x"])`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parseIf(s)
		if err != nil {
			return
		}
		if len(h.lists) == 0 {
			t.Fatalf("%q parsed to no lists", s)
		}
		h.tokens()
		h.eval(func(string) (resourceState, bool, error) {
			return resourceState{etag: `"12"`, tokens: map[string]bool{"urn:uuid:1": true}}, true, nil
		})
	})
}
