package sftp

import (
	"encoding/binary"
	"fmt"
	"io"
	"sync"
)

// The request server of github.com/pkg/sftp answers almost everything;
// this file adjusts the packets between it and the channel, where it
// needs help:
//
//   - it offers only the extensions Strongroom serves, and serves two that
//     the request server lacks: fsync@openssh.com and limits@openssh.com;
//   - it opens every write handle readable too, so that the request
//     server gives it to OpenFile, whose handle answers a read with an
//     error: on a handle from Filewrite, the request server would take a
//     stray read request for a write of zeros;
//   - it refuses packets longer than maxPacket before reading them.
//
// A write request on a read handle is still the request server's to
// answer, and it answers with the file's data at that offset rather than
// an error: harmless, since the client may read that data anyway, but not
// the failure it should be. Fixing it here would mean tracking handles.

// SFTP packet types and open flags this file looks at.
const (
	fxpInit          = 1
	fxpVersion       = 2
	fxpOpen          = 3
	fxpFsetstat      = 10
	fxpExtended      = 200
	fxpExtendedReply = 201

	fxfRead   = 0x01
	fxfWrite  = 0x02
	fxfAppend = 0x04
	fxfCreat  = 0x08
	fxfTrunc  = 0x10
)

// Sizes the server announces in its limits@openssh.com reply, the same as
// OpenSSH's sftp-server: a packet of 256 KiB, and reads and writes of up to
// 1 KiB less, leaving room for the packet's header.
const (
	maxPacket = 256 << 10
	maxData   = maxPacket - 1024
)

// extensions are the protocol extensions the server announces.
var extensions = [][2]string{
	{"posix-rename@openssh.com", "1"},
	{"statvfs@openssh.com", "2"},
	{"fsync@openssh.com", "1"},
	{"limits@openssh.com", "1"},
}

// rewrite adjusts one packet from the client, given without its length
// prefix. It returns the packet to pass to the request server, or nil
// with the reply to send when the packet is answered here. A packet too
// short or malformed to parse passes unchanged, for the request server to
// refuse.
func rewrite(p []byte, maxHandles int) (fwd, reply []byte) {
	if len(p) < 5 {
		return p, nil
	}
	switch p[0] {
	case fxpOpen:
		// id, filename, pflags, attrs
		_, rest, ok := parseString(p[5:])
		if !ok || len(rest) < 4 {
			return p, nil
		}
		off := len(p) - len(rest)
		flags := binary.BigEndian.Uint32(p[off:])
		if flags&(fxfWrite|fxfAppend|fxfCreat|fxfTrunc) != 0 {
			binary.BigEndian.PutUint32(p[off:], flags|fxfRead)
		}
		return p, nil

	case fxpExtended:
		id := p[1:5]
		name, rest, ok := parseString(p[5:])
		if !ok {
			return p, nil
		}
		switch string(name) {
		case "fsync@openssh.com":
			// An fsetstat that sets nothing: the request server checks
			// the handle and answers OK, or a failure for a bad one.
			handle, _, ok := parseString(rest)
			if !ok {
				return p, nil
			}
			out := make([]byte, 0, 1+4+4+len(handle)+4)
			out = append(out, fxpFsetstat)
			out = append(out, id...)
			out = appendString(out, handle)
			out = binary.BigEndian.AppendUint32(out, 0)
			return out, nil
		case "limits@openssh.com":
			out := make([]byte, 0, 1+4+4*8)
			out = append(out, fxpExtendedReply)
			out = append(out, id...)
			out = binary.BigEndian.AppendUint64(out, maxPacket)
			out = binary.BigEndian.AppendUint64(out, maxData)
			out = binary.BigEndian.AppendUint64(out, maxData)
			out = binary.BigEndian.AppendUint64(out, uint64(maxHandles))
			return nil, out
		}
	}
	return p, nil
}

// versionReply replaces the extensions of the server's version packet
// (given without its length prefix) with the ones Strongroom serves. Any
// other packet is returned unchanged.
func versionReply(p []byte) []byte {
	if len(p) < 5 || p[0] != fxpVersion {
		return p
	}
	out := append([]byte(nil), p[:5]...)
	for _, e := range extensions {
		out = appendString(out, []byte(e[0]))
		out = appendString(out, []byte(e[1]))
	}
	return out
}

func parseString(b []byte) (s, rest []byte, ok bool) {
	if len(b) < 4 {
		return nil, nil, false
	}
	n := binary.BigEndian.Uint32(b)
	if uint64(n) > uint64(len(b)-4) {
		return nil, nil, false
	}
	return b[4 : 4+n], b[4+n:], true
}

func appendString(b, s []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// packetReader reads the client's packets from the channel and hands
// them, adjusted by rewrite, to the request server. It is used by one
// goroutine, the request server's reader.
type packetReader struct {
	r          io.Reader
	w          *packetWriter // for packets answered here
	maxHandles int
	passed     func() // called for each packet passed on

	buf []byte // the packet being handed over, with its length prefix
	off int    // how much of buf was handed over
}

func (pr *packetReader) Read(b []byte) (int, error) {
	for pr.off == len(pr.buf) {
		if err := pr.next(); err != nil {
			return 0, err
		}
	}
	n := copy(b, pr.buf[pr.off:])
	pr.off += n
	return n, nil
}

// next reads the following packet into pr.buf.
func (pr *packetReader) next() error {
	var hdr [4]byte
	if _, err := io.ReadFull(pr.r, hdr[:]); err != nil {
		return err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n == 0 || n > maxPacket {
		return fmt.Errorf("sftp: client sent a packet of %d bytes; the limit is %d", n, maxPacket)
	}
	if cap(pr.buf) < 4+int(n) {
		pr.buf = make([]byte, 4+int(n))
	}
	pr.buf = pr.buf[:4+n]
	copy(pr.buf, hdr[:])
	if _, err := io.ReadFull(pr.r, pr.buf[4:]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return err
	}

	fwd, reply := rewrite(pr.buf[4:], pr.maxHandles)
	pr.off = 0
	if fwd == nil {
		pr.buf = pr.buf[:0]
		return pr.w.reply(reply)
	}
	if len(fwd) != int(n) || &fwd[0] != &pr.buf[4] {
		pr.buf = binary.BigEndian.AppendUint32(pr.buf[:0], uint32(len(fwd)))
		pr.buf = append(pr.buf, fwd...)
	}
	if pr.passed != nil {
		pr.passed()
	}
	return nil
}

// packetWriter passes the request server's packets to the channel, each
// whole, so that a reply answered here never lands inside one; and it
// rewrites the first, the version packet. It is safe for concurrent use.
type packetWriter struct {
	w io.Writer
	// sending and sent, if set, are called before and after each of the
	// request server's packets goes out.
	sending, sent func()

	mu        sync.Mutex
	pending   []byte // the start of a packet not yet complete
	versioned bool   // the first packet went out
}

// Write takes any part of the packet stream. The request server writes a
// packet's header and its data in two calls; the header waits in pending
// and the data goes straight on, uncopied.
func (pw *packetWriter) Write(b []byte) (int, error) {
	pw.mu.Lock()
	defer pw.mu.Unlock()
	total := len(b)
	for len(b) > 0 {
		if len(pw.pending) < 4 {
			k := min(4-len(pw.pending), len(b))
			pw.pending = append(pw.pending, b[:k]...)
			b = b[k:]
			if len(pw.pending) < 4 {
				break
			}
		}
		size := 4 + int(binary.BigEndian.Uint32(pw.pending))
		need := size - len(pw.pending)
		if need <= len(b) && pw.versioned {
			if err := pw.flush(b[:need]); err != nil {
				return total - len(b), err
			}
			b = b[need:]
			continue
		}
		k := min(need, len(b))
		pw.pending = append(pw.pending, b[:k]...)
		b = b[k:]
		if len(pw.pending) == size {
			if err := pw.flush(nil); err != nil {
				return total - len(b), err
			}
		}
	}
	return total, nil
}

// flush sends pending followed by tail, which complete one packet.
func (pw *packetWriter) flush(tail []byte) error {
	if !pw.versioned {
		pw.versioned = true
		p := versionReply(append(append([]byte(nil), pw.pending[4:]...), tail...))
		pw.pending = binary.BigEndian.AppendUint32(pw.pending[:0], uint32(len(p)))
		pw.pending = append(pw.pending, p...)
		tail = nil
	}
	// Counted before it goes, so that a client acting on the reply never
	// finds the request still in flight.
	if pw.sending != nil {
		pw.sending()
	}
	_, err := pw.w.Write(pw.pending)
	if err == nil && len(tail) > 0 {
		_, err = pw.w.Write(tail)
	}
	pw.pending = pw.pending[:0]
	if pw.sent != nil {
		pw.sent()
	}
	return err
}

// reply sends a packet answered here, given without its length prefix.
func (pw *packetWriter) reply(p []byte) error {
	pw.mu.Lock()
	defer pw.mu.Unlock()
	b := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(p)), uint32(len(p)))
	_, err := pw.w.Write(append(b, p...))
	return err
}
