package otlpwire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// PrefixLen is the length of a message's prefix: a compressed flag and a
// 4-byte big-endian length (gRPC over HTTP/2, "Length-Prefixed-Message").
const PrefixLen = 5

var (
	// ErrTooLarge marks a message longer than the reader's limit: gRPC
	// answers it with RESOURCE_EXHAUSTED.
	ErrTooLarge = errors.New("gRPC message larger than the limit")
	// ErrFormat marks a prefix whose flag is neither 0 (uncompressed) nor
	// 1 (compressed): grpc-go answers it with INTERNAL.
	ErrFormat = errors.New("gRPC message with an unknown payload format")
)

// AppendFrame appends msg to dst as a length-prefixed message, flagged
// compressed when msg is.
func AppendFrame(dst, msg []byte, compressed bool) []byte {
	var flag byte
	if compressed {
		flag = 1
	}
	dst = append(dst, flag)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(msg)))
	return append(dst, msg...)
}

// ReadFrame reads one length-prefixed message of at most limit bytes. At
// the end of the stream before any byte of a prefix it returns io.EOF;
// a stream that ends inside a message is io.ErrUnexpectedEOF. A message
// over limit is ErrTooLarge, and is not read.
func ReadFrame(r io.Reader, limit int64) (msg []byte, compressed bool, err error) {
	return ReadFrameInto(r, limit, nil)
}

// ReadFrameInto is ReadFrame reading the message into buf's storage when
// it is large enough (msg then shares it).
func ReadFrameInto(r io.Reader, limit int64, buf []byte) (msg []byte, compressed bool, err error) {
	var prefix [PrefixLen]byte
	if _, err := io.ReadFull(r, prefix[:]); err != nil {
		return nil, false, err
	}
	size, compressed, err := ParsePrefix(prefix, limit)
	if err != nil {
		return nil, false, err
	}
	if int64(cap(buf)) < size {
		buf = make([]byte, size)
	}
	msg = buf[:size]
	if _, err := io.ReadFull(r, msg); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, false, err
	}
	return msg, compressed, nil
}

// ParsePrefix is the length and compressed flag of a message's prefix,
// or ErrTooLarge (wrapped, with the sizes) when it is over limit, or
// ErrFormat.
func ParsePrefix(prefix [PrefixLen]byte, limit int64) (size int64, compressed bool, err error) {
	size = int64(binary.BigEndian.Uint32(prefix[1:]))
	if prefix[0] > 1 {
		return 0, false, fmt.Errorf("%w %d", ErrFormat, prefix[0])
	}
	if size > limit {
		return 0, false, fmt.Errorf("%w (%d vs. %d)", ErrTooLarge, size, limit)
	}
	return size, prefix[0] == 1, nil
}
