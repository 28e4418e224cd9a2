package webdav

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Bounds on the XML bodies of PROPFIND, PROPPATCH and LOCK.
const (
	maxXMLBytes    = 1 << 20 // whole body; PROPPATCH values are the large part
	maxXMLDepth    = 32      // nesting of elements
	maxXMLElements = 20000   // elements in one body
	maxXMLAttrs    = 64      // attributes on one element
)

// The namespaces the parser knows.
const (
	nsDAV = "DAV:"
	nsXML = "http://www.w3.org/XML/1998/namespace"
)

// An xnode is an element of a parsed body, with its namespace resolved,
// or, when name.Local is empty, a run of text.
type xnode struct {
	name  xml.Name
	attrs []xml.Attr // namespaces resolved; declarations left out
	kids  []*xnode
	text  string
}

func (n *xnode) is(space, local string) bool {
	return n.name.Space == space && n.name.Local == local
}

// elems returns n's child elements, leaving out text.
func (n *xnode) elems() []*xnode {
	var out []*xnode
	for _, k := range n.kids {
		if k.name.Local != "" {
			out = append(out, k)
		}
	}
	return out
}

// child returns n's first child element named space:local, or nil.
func (n *xnode) child(space, local string) *xnode {
	for _, k := range n.kids {
		if k.is(space, local) {
			return k
		}
	}
	return nil
}

// readBody reads a request's XML body, bounded, and parses it. It returns
// nil and no error for an empty body.
func (q *request) readBody() (*xnode, error) {
	body := http.MaxBytesReader(q.w, q.r.Body, maxXMLBytes)
	data, err := io.ReadAll(body)
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return nil, statusErrorf(http.StatusRequestEntityTooLarge, "the XML body may be at most %d bytes", maxXMLBytes)
		}
		return nil, errClientGone
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	return parseXML(data)
}

// parseXML parses one XML document, resolving namespaces itself so that
// it can refuse what encoding/xml lets pass: an undeclared prefix, a
// prefix bound to the empty name, end tags that do not match. A document
// type declaration is refused outright: it is how entity expansion
// attacks begin, and no WebDAV body needs one.
func parseXML(data []byte) (*xnode, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	var stack []xframe
	var root *xnode
	elements := 0
	lookup := func(prefix string) (string, bool) {
		if prefix == "xml" {
			return nsXML, true
		}
		for i := len(stack) - 1; i >= 0; i-- {
			if ns, ok := stack[i].prefix[prefix]; ok {
				return ns, true
			}
		}
		return "", prefix == ""
	}

	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, errorf("the XML body is not well-formed: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			elements++
			switch {
			case root != nil && len(stack) == 0:
				return nil, errorf("the XML body has more than one root element")
			case len(stack) >= maxXMLDepth:
				return nil, errorf("the XML body nests deeper than %d elements", maxXMLDepth)
			case elements > maxXMLElements:
				return nil, errorf("the XML body has more than %d elements", maxXMLElements)
			case len(t.Attr) > maxXMLAttrs:
				return nil, errorf("an XML element has more than %d attributes", maxXMLAttrs)
			}

			// Declarations first: they apply to the element's own name.
			f := xframe{n: &xnode{}, raw: t.Name}
			for _, a := range t.Attr {
				switch {
				case a.Name.Space == "" && a.Name.Local == "xmlns":
					f.setPrefix("", a.Value)
				case a.Name.Space == "xmlns":
					if a.Value == "" {
						return nil, errorf("the XML body binds prefix %q to an empty namespace", a.Name.Local)
					}
					if a.Name.Local == "xmlns" || (a.Name.Local == "xml") != (a.Value == nsXML) {
						return nil, errorf("the XML body redefines a reserved prefix")
					}
					f.setPrefix(a.Name.Local, a.Value)
				}
			}
			stack = append(stack, f)
			ns, ok := lookup(t.Name.Space)
			if !ok {
				return nil, errorf("the XML body uses the undeclared prefix %q", t.Name.Space)
			}
			f.n.name = xml.Name{Space: ns, Local: t.Name.Local}
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
					continue
				}
				ans := ""
				if a.Name.Space != "" {
					if ans, ok = lookup(a.Name.Space); !ok {
						return nil, errorf("the XML body uses the undeclared prefix %q", a.Name.Space)
					}
				}
				f.n.attrs = append(f.n.attrs, xml.Attr{Name: xml.Name{Space: ans, Local: a.Name.Local}, Value: a.Value})
			}
			if len(stack) == 1 {
				root = f.n
			} else {
				parent := stack[len(stack)-2].n
				parent.kids = append(parent.kids, f.n)
			}

		case xml.EndElement:
			if len(stack) == 0 || stack[len(stack)-1].raw != t.Name {
				return nil, errorf("the XML body has an end tag that matches no start tag")
			}
			stack = stack[:len(stack)-1]

		case xml.CharData:
			if len(stack) == 0 {
				if len(bytes.TrimSpace(t)) != 0 {
					return nil, errorf("the XML body has text outside its root element")
				}
				continue
			}
			parent := stack[len(stack)-1].n
			if k := len(parent.kids); k > 0 && parent.kids[k-1].name.Local == "" {
				parent.kids[k-1].text += string(t)
			} else {
				parent.kids = append(parent.kids, &xnode{text: string(t)})
			}

		case xml.Directive:
			return nil, errorf("the XML body may not have a document type declaration")

		case xml.ProcInst:
			if t.Target != "xml" || root != nil {
				return nil, errorf("the XML body may not have processing instructions")
			}
		}
	}
	switch {
	case root == nil:
		return nil, errorf("the XML body has no root element")
	case len(stack) != 0:
		return nil, errorf("the XML body ends inside an element")
	}
	return root, nil
}

// An xframe is an element being parsed, with the prefixes it declares.
type xframe struct {
	n      *xnode
	raw    xml.Name // as written, with the prefix in Space
	prefix map[string]string
}

func (f *xframe) setPrefix(prefix, ns string) {
	if f.prefix == nil {
		f.prefix = make(map[string]string)
	}
	f.prefix[prefix] = ns
}

// inner serializes n's content (not n itself) as self-contained XML:
// every element declares its own namespace, so the text means the same
// wherever it is pasted, as a property value or a lock's owner must.
func inner(n *xnode) string {
	var b strings.Builder
	for _, k := range n.kids {
		writeNode(&b, k)
	}
	return b.String()
}

func writeNode(b *strings.Builder, n *xnode) {
	if n.name.Local == "" {
		b.WriteString(escape(n.text))
		return
	}
	b.WriteString("<" + n.name.Local + ` xmlns="` + escape(n.name.Space) + `"`)
	prefixes := 0
	for _, a := range n.attrs {
		switch a.Name.Space {
		case "":
			b.WriteString(" " + a.Name.Local + `="` + escape(a.Value) + `"`)
		case nsXML:
			b.WriteString(" xml:" + a.Name.Local + `="` + escape(a.Value) + `"`)
		default:
			p := "a" + strconv.Itoa(prefixes)
			prefixes++
			b.WriteString(" xmlns:" + p + `="` + escape(a.Name.Space) + `" ` + p + ":" + a.Name.Local + `="` + escape(a.Value) + `"`)
		}
	}
	if len(n.kids) == 0 {
		b.WriteString("/>")
		return
	}
	b.WriteString(">")
	for _, k := range n.kids {
		writeNode(b, k)
	}
	b.WriteString("</" + n.name.Local + ">")
}
