package receiver

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/agentops-dev/agentops/internal/otlpwire"
)

// grpcPrefixLen is the length of a gRPC message's prefix: a compressed
// flag and a 4-byte big-endian length (gRPC over HTTP/2,
// "Length-Prefixed-Message").
const grpcPrefixLen = otlpwire.PrefixLen

// grpcAdmission is what a gRPC request holds of the in-flight budget, and
// the body the handler reads in place of the request's.
type grpcAdmission struct {
	b    *budget
	held int64 // bytes reserved
	// free is how much more of the body may be read on what is held (the
	// rest of the admitted message); past it, what is read is reserved.
	free int64
	src  io.Reader
	body io.ReadCloser
	// inflated is the message inflated here; msg holds one read as it
	// came. Both are the handler's until release.
	inflated *bytes.Buffer
	msg      *bytes.Buffer
}

// admitGRPC reads the prefix of a gRPC request's message and reserves the
// message's size from the in-flight budget before any of it is read, as
// readBody does for an OTLP/HTTP body: concurrent large exports over gRPC
// are held to MaxInFlightBytes together, and beyond it refused with a
// retryable UNAVAILABLE. A gzip-compressed message is inflated here,
// reserving as it grows, and the body is then that message uncompressed.
// Call release once the request is answered.
func (r *Receiver) admitGRPC(req *http.Request) (*grpcAdmission, error) {
	a := &grpcAdmission{b: &r.inflight}
	a.src = readerFunc(a.readTail(req.Body))
	var prefix [grpcPrefixLen]byte
	n, err := io.ReadFull(req.Body, prefix[:])
	size := int64(binary.BigEndian.Uint32(prefix[1:]))
	if err != nil || size > r.cfg.MaxBodyBytes {
		// No whole prefix, or a message over the limit: message answers
		// it (RESOURCE_EXHAUSTED for the size) without reading it whole.
		a.body = grpcBody{io.MultiReader(bytes.NewReader(prefix[:n]), a.src), req.Body}
		return a, nil
	}
	if !a.b.take(size) {
		return nil, fmt.Errorf("%w (%d bytes in flight): retry later", errBusy, a.b.max)
	}
	a.held, a.free = size, size
	compressed := prefix[0]&1 == 1
	if !compressed || !strings.EqualFold(strings.TrimSpace(req.Header.Get("Grpc-Encoding")), "gzip") {
		// A compression other than gzip is serveGRPC's to refuse.
		a.body = grpcBody{io.MultiReader(bytes.NewReader(prefix[:]), a.src), req.Body}
		return a, nil
	}
	if err := a.inflate(size, r.cfg.MaxBodyBytes); err != nil {
		a.release()
		return nil, err
	}
	binary.BigEndian.PutUint32(prefix[1:], uint32(a.inflated.Len()))
	prefix[0] = 0
	a.body = grpcBody{io.MultiReader(bytes.NewReader(prefix[:]), readerFunc(a.readInflated), a.src), req.Body}
	return a, nil
}

// readTail reads the request body, reserving what it reads past the bytes
// already held. For a unary Export nothing follows the message but the
// stream's end, so a full budget does not fail a request that was admitted.
func (a *grpcAdmission) readTail(src io.Reader) func([]byte) (int, error) {
	return func(p []byte) (int, error) {
		n, err := src.Read(p)
		if over := int64(n) - a.free; over > 0 {
			if !a.b.take(over) {
				return 0, fmt.Errorf("%w (%d bytes in flight): retry later", errBusy, a.b.max)
			}
			a.held += over
		}
		a.free = max(a.free-int64(n), 0)
		return n, err
	}
}

// inflate reads the compressed message of size bytes and inflates it,
// refusing it past limit without inflating further (a gzip bomb costs at
// most limit) and when the budget cannot hold what it inflates to.
func (a *grpcAdmission) inflate(size, limit int64) error {
	wire := bufferPool.Get().(*bytes.Buffer)
	defer putBuffer(wire)
	wire.Grow(int(size))
	if _, err := io.CopyN(wire, a.src, size); err != nil {
		return fmt.Errorf("%w: read gRPC message: %v", errDecode, err)
	}
	zr, err := newGzipReader(wire)
	if err != nil {
		return fmt.Errorf("%w: gzip gRPC message: %v", errDecode, err)
	}
	defer gzipPool.Put(zr)
	out := &budgetReader{r: zr, b: a.b}
	a.inflated = bufferPool.Get().(*bytes.Buffer)
	n, err := a.inflated.ReadFrom(io.LimitReader(out, limit+1))
	a.held += out.reserved
	switch {
	case errors.Is(err, errBusy):
		return err
	case n > limit:
		return fmt.Errorf("%w: the limit is %d bytes after decompression: send smaller batches", errTooLarge, limit)
	case err != nil:
		return fmt.Errorf("%w: gzip gRPC message: %v", errDecode, err)
	}
	return nil
}

// readInflated reads the inflated message as the body, and lets go of it
// once read.
func (a *grpcAdmission) readInflated(p []byte) (int, error) {
	n, err := a.inflated.Read(p)
	if err == io.EOF {
		putBuffer(a.inflated)
		a.inflated = nil
	}
	return n, err
}

// message reads the RPC's one message, uncompressed, of at most limit
// bytes, and the end of the stream after it. What is wrong with it gets
// the status grpc-go's server gave, in its words: no message or a second
// one (a unary RPC has one), a stream cut inside it, an unknown payload
// format, a message over the limit, a compressed flag without an
// encoding. A client that hangs up after sending a whole message is
// served: the message is there.
func (a *grpcAdmission) message(limit int64) ([]byte, error) {
	var prefix [grpcPrefixLen]byte
	if n, err := io.ReadFull(a.body, prefix[:]); err != nil {
		if n == 0 && err == io.EOF {
			return nil, grpcErrorf(otlpwire.Internal, "cardinality violation: received no request message from non-client-streaming RPC")
		}
		return nil, readError(err)
	}
	size, compressed, err := otlpwire.ParsePrefix(prefix, limit)
	switch {
	case errors.Is(err, otlpwire.ErrTooLarge):
		return nil, grpcErrorf(otlpwire.ResourceExhausted, "grpc: received message larger than max (%d vs. %d)", binary.BigEndian.Uint32(prefix[1:]), limit)
	case err != nil:
		return nil, grpcErrorf(otlpwire.Internal, "grpc: received unexpected payload format %d", prefix[0])
	case compressed:
		// admitGRPC has inflated gzip; other encodings were refused.
		return nil, grpcErrorf(otlpwire.Internal, "grpc: compressed flag set with identity or empty encoding")
	}
	var msg []byte
	if a.inflated != nil {
		msg = a.inflated.Bytes()
	} else {
		a.msg = bufferPool.Get().(*bytes.Buffer)
		a.msg.Grow(int(size))
		msg = a.msg.AvailableBuffer()[:size]
		if _, err := io.ReadFull(a.body, msg); err != nil {
			return nil, readError(err)
		}
	}
	var more [1]byte
	if n, err := io.ReadFull(a.src, more[:]); n > 0 || errors.Is(err, errBusy) {
		return nil, grpcErrorf(otlpwire.Internal, "cardinality violation: received multiple request messages for non-client-streaming RPC")
	}
	return msg, nil
}

// readError is the status of a request body that could not be read: the
// stream ended inside the message (INTERNAL, as in grpc-go), the budget
// is full, or the connection failed (UNAVAILABLE).
func readError(err error) error {
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return grpcErrorf(otlpwire.Internal, "%v", io.ErrUnexpectedEOF)
	case errors.Is(err, errBusy):
		return err
	}
	return grpcErrorf(otlpwire.Unavailable, "%v", err)
}

// release gives back everything reserved.
func (a *grpcAdmission) release() {
	a.b.give(a.held)
	a.held = 0
	if a.inflated != nil {
		putBuffer(a.inflated)
		a.inflated = nil
	}
	if a.msg != nil {
		putBuffer(a.msg)
		a.msg = nil
	}
}

func putBuffer(b *bytes.Buffer) {
	if b.Cap() <= maxPooledBuffer {
		b.Reset()
		bufferPool.Put(b)
	}
}

// grpcBody is the body the handler reads: the admitted message, then the
// rest of the request's body.
type grpcBody struct {
	io.Reader
	io.Closer
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }
