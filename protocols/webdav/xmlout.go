package webdav

import (
	"bufio"
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
)

const xmlHeader = `<?xml version="1.0" encoding="utf-8"?>` + "\n"

// escape makes s safe as XML text or as an attribute value in quotes.
func escape(s string) string {
	if !strings.ContainsAny(s, "<>&'\"\r\n\t") && isPlainXML(s) {
		return s
	}
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// isPlainXML reports whether s has no character XML cannot carry; bytes
// that are not UTF-8 decode as U+FFFD and count as such.
func isPlainXML(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0xFFFE || r == 0xFFFF || r == '\uFFFD' {
			return false
		}
	}
	return true
}

// A prop is one property in a reply: its name and its content, which is
// XML ready to paste.
type prop struct {
	name  xml.Name
	value string
}

// A propstat is the props of one resource that share a status.
type propstat struct {
	status int
	props  []prop
}

// writeProp writes <name>value</name>, declaring the name's namespace
// unless it is DAV:, whose prefix the reply's root binds.
func writeProp(b *strings.Builder, p prop) {
	open, close := propTags(p.name)
	if p.value == "" {
		b.WriteString(open[:len(open)-1] + "/>")
		return
	}
	b.WriteString(open)
	b.WriteString(p.value)
	b.WriteString(close)
}

func propTags(n xml.Name) (string, string) {
	switch n.Space {
	case nsDAV:
		return "<D:" + n.Local + ">", "</D:" + n.Local + ">"
	case "":
		return "<" + n.Local + ` xmlns="">`, "</" + n.Local + ">"
	}
	return "<R:" + n.Local + ` xmlns:R="` + escape(n.Space) + `">`, "</R:" + n.Local + ">"
}

func statusLine(status int) string {
	return "HTTP/1.1 " + strconv.Itoa(status) + " " + http.StatusText(status)
}

// A multistatus writes a 207 reply one response at a time, so that a
// listing of any size streams in bounded memory.
type multistatus struct {
	w       http.ResponseWriter
	bw      *bufio.Writer
	started bool
}

func newMultistatus(w http.ResponseWriter) *multistatus {
	return &multistatus{w: w}
}

func (m *multistatus) start() {
	if m.started {
		return
	}
	m.started = true
	m.w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	m.w.WriteHeader(http.StatusMultiStatus)
	m.bw = bufio.NewWriterSize(m.w, 32<<10)
	m.bw.WriteString(xmlHeader + `<D:multistatus xmlns:D="DAV:">`)
}

// propResponse writes the response for one resource and its propstats;
// propstats with no props are left out.
func (m *multistatus) propResponse(href string, stats []propstat) error {
	m.start()
	var b strings.Builder
	b.WriteString("<D:response><D:href>" + escape(href) + "</D:href>")
	for _, st := range stats {
		if len(st.props) == 0 {
			continue
		}
		b.WriteString("<D:propstat><D:prop>")
		for _, p := range st.props {
			writeProp(&b, p)
		}
		b.WriteString("</D:prop><D:status>" + statusLine(st.status) + "</D:status></D:propstat>")
	}
	b.WriteString("</D:response>")
	_, err := m.bw.WriteString(b.String())
	return err
}

// statusResponse writes a response that gives one status for hrefs.
func (m *multistatus) statusResponse(status int, hrefs ...string) error {
	m.start()
	var b strings.Builder
	b.WriteString("<D:response>")
	for _, h := range hrefs {
		b.WriteString("<D:href>" + escape(h) + "</D:href>")
	}
	b.WriteString("<D:status>" + statusLine(status) + "</D:status></D:response>")
	_, err := m.bw.WriteString(b.String())
	return err
}

// close ends the reply; with nothing written, it writes an empty 207.
func (m *multistatus) close() error {
	m.start()
	m.bw.WriteString("</D:multistatus>\n")
	return m.bw.Flush()
}
