package exporter

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
)

// ScanLines walks an OTLP JSON lines file (the store's, or an unsent or
// file exporter's) without decoding it, calling fn with each line's Ref
// and signal; a line's signal is sig, or, when all is true, what its
// top-level key says. Items is left 0: the sender counts a batch when it
// reads it back. A missing file has no lines.
func ScanLines(path string, sig Signal, all bool, fn func(Signal, Ref)) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var off int64
	for {
		var head []byte
		n, eof, ended := int64(0), false, false
		for {
			chunk, err := r.ReadSlice('\n')
			if head == nil && len(chunk) > 0 {
				head = append([]byte(nil), chunk[:min(len(chunk), 64)]...)
			}
			n += int64(len(chunk))
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			if err != nil && err != io.EOF {
				return fmt.Errorf("read %s: %w", path, err)
			}
			eof, ended = err == io.EOF, err == nil
			break
		}
		length := n
		if ended {
			length--
		}
		if length > 0 {
			s, ok := sig, true
			if all {
				s, ok = SignalOfLine(head)
			}
			if ok {
				fn(s, Ref{File: path, Offset: off, Length: length})
			}
		}
		off += n
		if eof {
			return nil
		}
	}
}

// OfferRef queues the batch at r, which stays in its file until its turn
// (`agentops export` reads stored sessions this way: nothing of them is
// held in memory).
func (s *Sender) OfferRef(sig Signal, r Ref) {
	if !s.Carries(sig) {
		return
	}
	s.mu.Lock()
	q := &s.q[sig]
	q.enqueued += r.Items
	q.disk = append(q.disk, item{ref: r, items: int(r.Items)})
	s.mu.Unlock()
	s.wake.Signal()
}
