package runner

import (
	"errors"
	"os"
	"syscall"
	"testing"
	"time"
)

// failingWriter fails every write with err.
type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

// TestOutputWriteErrorReported: a write to our stdout that fails for a
// reason other than a reader gone away (a full disk) is kept to be
// reported; EPIPE is the child's own SIGPIPE and is not.
func TestOutputWriteErrorReported(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want bool
	}{{syscall.ENOSPC, true}, {syscall.EPIPE, false}} {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		var o outputs
		o.copy(failingWriter{tt.err}, r)
		_, _ = w.WriteString("output")
		w.Close()
		o.finish(time.Minute) // returns as soon as the copy has ended
		if got := o.err(); (got != nil) != tt.want || tt.want && !errors.Is(got, tt.err) {
			t.Errorf("write error %v: reported %v", tt.err, got)
		}
	}
}
