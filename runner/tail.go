package runner

import (
	"sync"
	"unicode/utf8"
)

// tail keeps the last bytes written to it in a fixed ring, so that keeping
// the end of a long output costs one copy per write and no allocation.
type tail struct {
	mu   sync.Mutex
	buf  []byte
	next int  // where the next byte goes
	full bool // buf has wrapped at least once
}

func newTail(size int) *tail {
	if size <= 0 {
		return nil
	}
	return &tail{buf: make([]byte, size)}
}

// Write keeps the end of p. A nil tail keeps nothing.
func (t *tail) Write(p []byte) {
	if t == nil || len(p) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(p) >= len(t.buf) {
		copy(t.buf, p[len(p)-len(t.buf):])
		t.next, t.full = 0, true
		return
	}
	n := copy(t.buf[t.next:], p)
	if n < len(p) {
		copy(t.buf, p[n:])
		t.full = true
	}
	t.next = (t.next + len(p)) % len(t.buf)
	if t.next == 0 {
		t.full = true
	}
}

// Bytes returns a copy of the kept bytes, oldest first. When the ring has
// wrapped, a multi-byte UTF-8 character cut at the start is dropped.
func (t *tail) Bytes() []byte {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.full {
		return append([]byte(nil), t.buf[:t.next]...)
	}
	out := make([]byte, 0, len(t.buf))
	out = append(out, t.buf[t.next:]...)
	out = append(out, t.buf[:t.next]...)
	for i := 0; i < utf8.UTFMax && len(out) > 0 && !utf8.RuneStart(out[0]); i++ {
		out = out[1:]
	}
	return out
}
