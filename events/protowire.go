package events

import (
	"encoding/binary"
	"fmt"
	"io"
	"unsafe"
)

// This file reads protobuf's wire format (protobuf encoding, "Message
// Structure") for wire.go.

// eachField calls fn with the field number and wire type of each field of
// buf, and the position after its tag; fn consumes the field and returns
// the position after it.
func eachField(buf []byte, fn func(field int32, wt int, b []byte, pos int) (int, error)) error {
	for pos := 0; pos < len(buf); {
		field, wt, p, err := consumeTag(buf, pos)
		if err != nil {
			return err
		}
		if pos, err = fn(field, wt, buf, p); err != nil {
			return err
		}
	}
	return nil
}

// The consume functions read as pdata's internal/proto does, so that
// ReadTraces accepts what it accepts: a varint of up to ten bytes
// whatever the last one holds, a field number read as int32 (its high
// bits dropped) and refused when not positive, groups skipped to their
// matching end whatever fields they hold.

func consumeVarint(buf []byte, pos int) (uint64, int, error) {
	var n uint64
	for shift := uint(0); ; shift += 7 {
		if shift >= 64 {
			return 0, 0, errWire
		}
		if pos >= len(buf) {
			return 0, 0, io.ErrUnexpectedEOF
		}
		b := buf[pos]
		pos++
		n |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return n, pos, nil
		}
	}
}

func consumeTag(buf []byte, pos int) (int32, int, int, error) {
	tag, pos, err := consumeVarint(buf, pos)
	if err != nil {
		return 0, 0, 0, err
	}
	field := int32(tag >> 3)
	if field <= 0 {
		return 0, 0, 0, errWire
	}
	return field, int(tag & 7), pos, nil
}

// consumeLen reads a length-delimited field's payload.
func consumeLen(buf []byte, pos int) ([]byte, int, error) {
	n, pos, err := consumeVarint(buf, pos)
	if err != nil {
		return nil, 0, err
	}
	length := int(n)
	if length < 0 {
		return nil, 0, errWire
	}
	end := pos + length
	if end < 0 || end > len(buf) {
		return nil, 0, io.ErrUnexpectedEOF
	}
	return buf[pos:end], end, nil
}

// consumeMessage reads a field that must be length-delimited (a message,
// a string, bytes).
func consumeMessage(buf []byte, pos, wt int) ([]byte, int, error) {
	if wt != wtLen {
		return nil, 0, errWire
	}
	return consumeLen(buf, pos)
}

// consumeScalar reads a field that must have wire type want.
func consumeScalar(buf []byte, pos, wt, want int) (int, error) {
	if wt != want {
		return 0, errWire
	}
	return consumeUnknown(buf, pos, wt)
}

func consumeUnknown(buf []byte, pos, wt int) (int, error) {
	var err error
	depth := 0
	for pos < len(buf) {
		switch wt {
		case wtVarint:
			_, pos, err = consumeVarint(buf, pos)
			return pos, err
		case wtI64:
			if pos += 8; pos > len(buf) {
				return 0, io.ErrUnexpectedEOF
			}
			return pos, nil
		case wtLen:
			_, pos, err = consumeLen(buf, pos)
			return pos, err
		case wtStartGroup:
			depth++
		case wtEndGroup:
			if depth == 0 {
				return 0, errWire
			}
			depth--
		case wtI32:
			if pos += 4; pos > len(buf) {
				return 0, io.ErrUnexpectedEOF
			}
			return pos, nil
		default:
			return 0, fmt.Errorf("%w: wire type %d", errWire, wt)
		}
		if depth == 0 {
			return pos, nil
		}
		if _, wt, pos, err = consumeTag(buf, pos); err != nil {
			return 0, err
		}
	}
	return 0, io.ErrUnexpectedEOF
}

// fields walks the fields of a message ReadTraces checked: next reads a
// tag, then one of bytes, varint, fixed64 or skip reads the field. Bytes
// that fail to parse (which a checked message does not hold) end the walk.
type fields struct {
	buf   []byte
	pos   int
	field int32
	wt    int
}

func (f *fields) next() bool {
	if f.pos >= len(f.buf) {
		return false
	}
	// The common case: a one-byte tag.
	if b := f.buf[f.pos]; b < 0x80 {
		f.field, f.wt = int32(b>>3), int(b&7)
		f.pos++
		return f.field > 0
	}
	return f.longTag()
}

func (f *fields) longTag() bool {
	field, wt, p, err := consumeTag(f.buf, f.pos)
	if err != nil {
		f.pos = len(f.buf)
		return false
	}
	f.field, f.wt, f.pos = field, wt, p
	return true
}

func (f *fields) bytes() []byte {
	// The common case: a one-byte length.
	if f.pos < len(f.buf) {
		if n := int(f.buf[f.pos]); n < 0x80 && f.pos+1+n <= len(f.buf) {
			f.pos += 1 + n
			return f.buf[f.pos-n : f.pos]
		}
	}
	b, p, err := consumeLen(f.buf, f.pos)
	if err != nil {
		f.pos = len(f.buf)
		return nil
	}
	f.pos = p
	return b
}

func (f *fields) varint() uint64 {
	n, p, err := consumeVarint(f.buf, f.pos)
	if err != nil {
		f.pos = len(f.buf)
		return 0
	}
	f.pos = p
	return n
}

func (f *fields) fixed64() uint64 {
	if f.pos+8 > len(f.buf) {
		f.pos = len(f.buf)
		return 0
	}
	f.pos += 8
	return binary.LittleEndian.Uint64(f.buf[f.pos-8:])
}

func (f *fields) skip() {
	p, err := consumeUnknown(f.buf, f.pos, f.wt)
	if err != nil {
		p = len(f.buf)
	}
	f.pos = p
}

// view is b as a string, without a copy: it lives as long as the
// request's bytes are unchanged (see ownStrings).
func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
