package sftp

import (
	"bytes"
	"encoding/binary"
	"io"
	"path"
	"strings"
	"testing"
)

// FuzzSessionPath checks that any client path maps to a clean absolute
// path that no ".." can lead out of.
func FuzzSessionPath(f *testing.F) {
	for _, s := range []string{"", ".", "..", "/", "../../etc", "a/../../b", "//x//y/", "/a/./b/..", "\x00", "a\\..\\b", "日本/../..", "..."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got := sessionPath(p)
		if !strings.HasPrefix(got, "/") {
			t.Fatalf("sessionPath(%q) = %q, not absolute", p, got)
		}
		if path.Clean(got) != got {
			t.Fatalf("sessionPath(%q) = %q, not clean", p, got)
		}
		for _, seg := range strings.Split(got, "/") {
			if seg == ".." || seg == "." {
				t.Fatalf("sessionPath(%q) = %q keeps %q", p, got, seg)
			}
		}
		if sessionPath(got) != got {
			t.Fatalf("sessionPath is not idempotent on %q", got)
		}
	})
}

// FuzzPackets pushes any byte stream through the packet reader as a
// client would send it, and checks what reaches the request server: whole
// packets within the size limit, each one the client's (rewritten only as
// rewrite documents), and replies that are themselves well framed.
func FuzzPackets(f *testing.F) {
	f.Add(packet(fxpInit, u32(3)))
	f.Add(packet(fxpOpen, u32(1), str("/f"), u32(fxfWrite|fxfCreat), u32(0)))
	f.Add(packet(fxpExtended, u32(2), str("fsync@openssh.com"), str("1")))
	f.Add(packet(fxpExtended, u32(3), str("limits@openssh.com")))
	f.Add(packet(fxpExtended, u32(4), str("hardlink@openssh.com"), str("/a"), str("/b")))
	f.Add(append(packet(17, u32(5), str("/")), packet(fxpOpen, u32(6), str("x"))...))
	f.Add(u32(maxPacket + 1))
	f.Fuzz(func(t *testing.T, stream []byte) {
		var replies bytes.Buffer
		pw := &packetWriter{w: &replies, versioned: true}
		pr := &packetReader{r: bytes.NewReader(stream), w: pw, maxHandles: maxHandles}
		// A bad packet ends the stream with an error; what came before
		// it must still be well framed.
		out, _ := io.ReadAll(pr)
		for rest := out; len(rest) > 0; {
			if len(rest) < 4 {
				t.Fatalf("passed on a partial length prefix: %x", rest)
			}
			n := binary.BigEndian.Uint32(rest)
			if n == 0 || n > maxPacket || int(n) > len(rest)-4 {
				t.Fatalf("passed on a bad packet of length %d with %d bytes left", n, len(rest)-4)
			}
			p := rest[4 : 4+n]
			if p[0] == fxpExtended && len(p) >= 5 {
				// Answered here: limits always, fsync when its handle
				// parses (a malformed one goes on, to be refused).
				name, after, ok := parseString(p[5:])
				_, _, handleOK := parseString(after)
				if ok && (string(name) == "limits@openssh.com" || string(name) == "fsync@openssh.com" && handleOK) {
					t.Fatalf("passed on %s, which is answered here", name)
				}
			}
			rest = rest[4+n:]
		}
		for rest := replies.Bytes(); len(rest) > 0; {
			if len(rest) < 4 || int(binary.BigEndian.Uint32(rest)) > len(rest)-4 {
				t.Fatalf("badly framed reply: %x", rest)
			}
			rest = rest[4+binary.BigEndian.Uint32(rest):]
		}
	})
}

// FuzzPacketWriter splits a stream of well-framed packets at arbitrary
// points, as writes may come, and checks that the channel gets the same
// packets whole, with the version packet's extensions replaced.
func FuzzPacketWriter(f *testing.F) {
	f.Add([]byte{3, 1, 200}, uint8(5))
	f.Add([]byte{0, 70, 7, 255}, uint8(1))
	f.Fuzz(func(t *testing.T, sizes []byte, cut uint8) {
		var stream []byte
		var want [][]byte
		version := packet(fxpVersion, u32(3), str("hardlink@openssh.com"), str("1"))
		stream = append(stream, version...)
		want = append(want, versionReply(version[4:]))
		for i, s := range sizes {
			p := packet(103, u32(uint32(i)), bytes.Repeat([]byte{byte(i)}, int(s)*13))
			stream = append(stream, p...)
			want = append(want, p[4:])
		}
		var ch bytes.Buffer
		pw := &packetWriter{w: &ch}
		step := int(cut)%17 + 1
		for len(stream) > 0 {
			k := min(step, len(stream))
			if _, err := pw.Write(stream[:k]); err != nil {
				t.Fatal(err)
			}
			stream = stream[k:]
			step = step*7%23 + 1
		}
		got := ch.Bytes()
		for i, w := range want {
			if len(got) < 4 {
				t.Fatalf("packet %d missing", i)
			}
			n := binary.BigEndian.Uint32(got)
			if !bytes.Equal(got[4:4+n], w) {
				t.Fatalf("packet %d: got %x, want %x", i, got[4:4+n], w)
			}
			got = got[4+n:]
		}
		if len(got) != 0 {
			t.Fatalf("%d bytes more than sent", len(got))
		}
	})
}
