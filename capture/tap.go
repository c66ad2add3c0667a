package capture

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
)

// Limits of what the tap keeps to read a response: a JSON body is parsed
// whole, up to maxJSONBody; one SSE event up to maxEvent. Beyond them the
// bytes still reach the client, only the usage is not read.
const (
	maxJSONBody = 16 << 20
	maxEvent    = 4 << 20
)

// tap is the response body the client receives: the upstream's bytes as
// they arrive, read on the way for the call's usage. For an OpenAI chat
// stream whose usage we asked for, it takes out what the client did not
// ask for (the usage chunk, "usage":null in the other chunks), event by
// event.
type tap struct {
	rc     io.ReadCloser
	c      *call
	filter bool
	out    bytes.Buffer // filtered bytes not yet read by the client
	buf    []byte       // what is read from the upstream, when filtering
	sse    *sseScanner
	json   *bytes.Buffer
	over   bool

	// For an encoded body the reader runs on a decoded copy.
	pw   *io.PipeWriter
	wait sync.WaitGroup

	closed  bool
	eof     bool
	readErr error
}

func isSSE(h http.Header) bool {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	return mt == "text/event-stream"
}

func newTap(c *call, res *http.Response) *tap {
	t := &tap{rc: res.Body, c: c}
	if isSSE(res.Header) {
		t.sse = &sseScanner{onEvent: c.onEvent}
	} else {
		t.json = &bytes.Buffer{}
	}
	enc := strings.ToLower(strings.TrimSpace(res.Header.Get("Content-Encoding")))
	switch enc {
	case "", "identity":
		t.filter = c.injected && t.sse != nil
		if t.filter {
			t.sse.filter = true
		}
	case "gzip", "x-gzip", "deflate", "br":
		pr, pw := io.Pipe()
		t.pw = pw
		t.wait.Add(1)
		go func() {
			defer t.wait.Done()
			defer pr.Close()
			d, err := decoder(enc, pr)
			if err != nil {
				_, _ = io.Copy(io.Discard, pr)
				return
			}
			buf := make([]byte, 32<<10)
			for {
				n, err := d.Read(buf)
				t.feed(buf[:n])
				if err != nil {
					_, _ = io.Copy(io.Discard, pr)
					return
				}
			}
		}()
	default:
		c.mu.Lock()
		c.usageWhy = "the response is encoded as " + enc + ", which the proxy does not read"
		c.mu.Unlock()
		t.sse, t.json = nil, nil
	}
	return t
}

func decoder(enc string, r io.Reader) (io.Reader, error) {
	switch enc {
	case "gzip", "x-gzip":
		return gzip.NewReader(r)
	case "deflate":
		return flate.NewReader(r), nil
	}
	return brotli.NewReader(r), nil
}

// feed hands decoded bytes to the reader of the response.
func (t *tap) feed(b []byte) {
	if len(b) == 0 {
		return
	}
	switch {
	case t.sse != nil:
		t.sse.write(b)
	case t.json != nil && !t.over:
		if t.json.Len()+len(b) > maxJSONBody {
			t.over = true
			t.json.Reset()
			return
		}
		t.json.Write(b)
	}
}

func (t *tap) Read(p []byte) (int, error) {
	if !t.filter {
		n, err := t.rc.Read(p)
		if n > 0 {
			t.c.firstByte()
			if t.pw != nil {
				_, _ = t.pw.Write(p[:n])
			} else {
				t.feed(p[:n])
			}
		}
		t.noteErr(err)
		return n, err
	}
	if t.buf == nil {
		t.buf = make([]byte, 32<<10)
	}
	for t.out.Len() == 0 {
		n, err := t.rc.Read(t.buf)
		if n > 0 {
			t.c.firstByte()
			t.sse.write(t.buf[:n])
			t.out.Write(t.sse.takeOut())
		}
		if err != nil {
			t.noteErr(err)
			if err == io.EOF {
				t.out.Write(t.sse.flushOut())
			}
			if t.out.Len() == 0 {
				return 0, err
			}
			break
		}
	}
	return t.out.Read(p)
}

// Close ends the reading of the response and tells the call how it
// ended: a body read to its end, cut by the upstream, or left by the
// client.
func (t *tap) Close() error {
	if t.closed {
		return nil
	}
	t.closed = true
	// ReverseProxy closes the body after copying it: at its end, or on an
	// error reading it (the upstream's) or writing it (the client's).
	complete := t.eof && t.readErr == nil
	err := t.rc.Close()
	if t.pw != nil {
		_ = t.pw.Close()
		t.wait.Wait()
	}
	if t.sse != nil {
		t.sse.end()
	}
	if complete && t.json != nil && !t.over {
		t.c.onJSON(t.json.Bytes())
	}
	if t.json != nil && t.over {
		t.c.noteUsageWhy("the response is larger than the proxy reads (16 MiB)")
	}
	switch {
	case complete:
		t.c.bodyEnded(nil)
	case t.readErr != nil:
		t.c.bodyEnded(t.readErr)
	default:
		t.c.bodyEnded(errClientGone)
	}
	return err
}

func (t *tap) noteErr(err error) {
	switch {
	case err == io.EOF:
		t.eof = true
	case err != nil:
		t.readErr = err
	}
}
