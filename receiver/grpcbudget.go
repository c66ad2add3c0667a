package receiver

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// grpcPrefixLen is the length of a gRPC message's prefix: a compressed
// flag and a 4-byte big-endian length (gRPC over HTTP/2,
// "Length-Prefixed-Message").
const grpcPrefixLen = 5

// grpcAdmission is what a gRPC request holds of the in-flight budget, and
// the body gRPC reads in place of the request's.
type grpcAdmission struct {
	b    *budget
	held int64 // bytes reserved
	// free is how much more of the body may be read on what is held (the
	// rest of the admitted message); past it, what is read is reserved.
	free int64
	src  io.Reader
	body io.ReadCloser
	// inflated is the message inflated here, until gRPC has read it.
	inflated *bytes.Buffer
}

// admitGRPC reads the prefix of a gRPC request's message and reserves the
// message's size from the in-flight budget before gRPC reads any of it, as
// readBody does for an OTLP/HTTP body: concurrent large exports over gRPC
// are held to MaxInFlightBytes together, and beyond it refused with a
// retryable UNAVAILABLE. A gzip-compressed message is inflated here,
// reserving as it grows, and handed to gRPC uncompressed: gRPC would
// otherwise inflate up to MaxBodyBytes per request outside the budget.
// Call release once gRPC is done with the request.
func (r *Receiver) admitGRPC(req *http.Request) (*grpcAdmission, error) {
	a := &grpcAdmission{b: &r.inflight}
	a.src = readerFunc(a.readTail(req.Body))
	var prefix [grpcPrefixLen]byte
	n, err := io.ReadFull(req.Body, prefix[:])
	size := int64(binary.BigEndian.Uint32(prefix[1:]))
	if err != nil || size > r.cfg.MaxBodyBytes {
		// No whole prefix, or a message over the limit: gRPC answers it
		// (RESOURCE_EXHAUSTED for the size) without reading it whole.
		a.body = grpcBody{io.MultiReader(bytes.NewReader(prefix[:n]), a.src), req.Body}
		return a, nil
	}
	if !a.b.take(size) {
		return nil, fmt.Errorf("%w (%d bytes in flight): retry later", errBusy, a.b.max)
	}
	a.held, a.free = size, size
	compressed := prefix[0]&1 == 1
	if !compressed || !strings.EqualFold(strings.TrimSpace(req.Header.Get("Grpc-Encoding")), "gzip") {
		// A compression other than gzip is gRPC's to refuse.
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

// readInflated hands gRPC the inflated message, and lets go of it once
// read: gRPC keeps its own copy.
func (a *grpcAdmission) readInflated(p []byte) (int, error) {
	n, err := a.inflated.Read(p)
	if err == io.EOF {
		putBuffer(a.inflated)
		a.inflated = nil
	}
	return n, err
}

// release gives back everything reserved.
func (a *grpcAdmission) release() {
	a.b.give(a.held)
	a.held = 0
	if a.inflated != nil {
		putBuffer(a.inflated)
		a.inflated = nil
	}
}

func putBuffer(b *bytes.Buffer) {
	if b.Cap() <= maxPooledBuffer {
		b.Reset()
		bufferPool.Put(b)
	}
}

// grpcBody is the body gRPC reads: the admitted message, then the rest of
// the request's body, which it closes.
type grpcBody struct {
	io.Reader
	io.Closer
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }
