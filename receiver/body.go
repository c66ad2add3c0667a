package receiver

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// Buffers and gzip readers are reused across requests: the decoders copy
// what they keep (pdata copies strings and ids out of the buffer), so a
// buffer is free again once the response is written.
var (
	bufferPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}
	gzipPool   sync.Pool // *gzip.Reader
)

// maxPooledBuffer keeps an occasional huge request from pinning its buffer
// for the rest of the session.
const maxPooledBuffer = 4 << 20

// body is a request body read into a pooled buffer, and its share of the
// in-flight budget.
type body struct {
	*bytes.Buffer
	held *budgetReader
}

func (b body) release() {
	b.held.release()
	if b.Cap() <= maxPooledBuffer {
		b.Reset()
		bufferPool.Put(b.Buffer)
	}
}

// readBody reads the body, inflating gzip, and refuses anything larger than
// the limit after decompression without inflating past it: a gzip bomb costs
// at most MaxBodyBytes of memory before it gets its 413.
func (r *Receiver) readBody(w http.ResponseWriter, req *http.Request) (body, error) {
	limit := r.cfg.MaxBodyBytes
	tooLarge := fmt.Errorf("%w: the limit is %d bytes after decompression: send smaller batches", errTooLarge, limit)
	if req.ContentLength > limit {
		return body{}, tooLarge
	}
	var src io.Reader = http.MaxBytesReader(w, req.Body, limit)
	gzipped := false
	switch enc := strings.ToLower(strings.TrimSpace(req.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip":
		zr, err := newGzipReader(src)
		if err != nil {
			return body{}, fmt.Errorf("%w: gzip body: %v", errDecode, err)
		}
		defer gzipPool.Put(zr)
		src, gzipped = zr, true
	default:
		return body{}, fmt.Errorf("%w: unsupported Content-Encoding %q: use gzip or none", errDecode, enc)
	}
	// What the body will hold is reserved before it is read (all of it
	// when its length is known), so that concurrent requests cannot hold
	// more than MaxInFlightBytes together.
	held := &budgetReader{r: src, b: &r.inflight}
	if !gzipped && req.ContentLength > 0 {
		if !r.inflight.take(req.ContentLength) {
			return body{}, fmt.Errorf("%w (%d bytes in flight): retry later", errBusy, r.inflight.max)
		}
		held.reserved, held.known = req.ContentLength, true
	}
	b := body{bufferPool.Get().(*bytes.Buffer), held}
	if !gzipped && req.ContentLength > 0 {
		b.Grow(int(req.ContentLength))
	}
	n, err := b.ReadFrom(io.LimitReader(held, limit+1))
	var maxErr *http.MaxBytesError
	switch {
	case errors.Is(err, errBusy):
		b.release()
		return body{}, err
	case errors.As(err, &maxErr) || n > limit:
		b.release()
		return body{}, tooLarge
	case err != nil:
		b.release()
		return body{}, fmt.Errorf("%w: read body: %v", errDecode, err)
	}
	return b, nil
}

func newGzipReader(src io.Reader) (*gzip.Reader, error) {
	if zr, ok := gzipPool.Get().(*gzip.Reader); ok {
		if err := zr.Reset(src); err != nil {
			gzipPool.Put(zr)
			return nil, err
		}
		return zr, nil
	}
	return gzip.NewReader(src)
}
