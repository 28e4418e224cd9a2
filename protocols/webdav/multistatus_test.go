package webdav_test

import (
	"encoding/xml"
	"strings"
	"testing"
)

// A davResource is one response of a 207 reply: the properties found,
// by "space local", with their text (or inner XML), the names of those
// not found, and the response's own status, if it has one.
type davResource struct {
	props   map[string]string
	missing map[string]bool
	status  string
}

type multistatusDoc struct {
	Responses []struct {
		Href     string `xml:"DAV: href"`
		Status   string `xml:"DAV: status"`
		Propstat []struct {
			Prop struct {
				Any []struct {
					XMLName xml.Name
					Text    string `xml:",chardata"`
					Inner   string `xml:",innerxml"`
				} `xml:",any"`
			} `xml:"DAV: prop"`
			Status string `xml:"DAV: status"`
		} `xml:"DAV: propstat"`
	} `xml:"DAV: response"`
}

// parseMultistatus reads a 207 body into its responses, by href. XML that
// does not parse fails the test: a client could not read it either.
func parseMultistatus(t *testing.T, body string) map[string]*davResource {
	t.Helper()
	var doc multistatusDoc
	if err := xml.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("the 207 reply does not parse: %v\n%s", err, body)
	}
	out := make(map[string]*davResource)
	for _, r := range doc.Responses {
		res := &davResource{props: map[string]string{}, missing: map[string]bool{}, status: r.Status}
		for _, ps := range r.Propstat {
			for _, p := range ps.Prop.Any {
				name := p.XMLName.Space + " " + p.XMLName.Local
				if !strings.Contains(ps.Status, " 200 ") {
					res.missing[name] = true
					continue
				}
				v := p.Text
				if strings.Contains(p.Inner, "<") {
					v = p.Inner
				}
				res.props[name] = v
			}
		}
		out[r.Href] = res
	}
	return out
}

// propfind sends a PROPFIND and returns the parsed reply, failing the
// test unless it is a 207.
func (s *server) propfind(t *testing.T, user, pass, path, depth, body string) map[string]*davResource {
	t.Helper()
	resp, text := s.do(t, user, pass, "PROPFIND", path, strings.NewReader(body), "Depth", depth, "Content-Type", "application/xml")
	if resp.StatusCode != 207 {
		t.Fatalf("PROPFIND %s: got %s, want 207 Multi-Status\n%s", path, resp.Status, text)
	}
	return parseMultistatus(t, text)
}
