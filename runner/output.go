package runner

import (
	"errors"
	"io"
	"os"
	"sync"
	"syscall"
	"time"
)

// outputs copies the child's output pipes (or pseudo-terminal) to our
// streams. Each read is written out at once, so nothing is buffered on the
// way: a prompt without a newline appears as soon as the child writes it.
type outputs struct {
	tail    *tail
	wg      sync.WaitGroup
	mu      sync.Mutex
	sources []*os.File
	// writeErr is the first failed write to our streams other than a
	// reader gone away (EPIPE): a full disk, a quota, an I/O error.
	writeErr error
}

// err is the first write error worth reporting.
func (o *outputs) err() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.writeErr
}

// copy starts copying src to dst until src ends.
func (o *outputs) copy(dst io.Writer, src *os.File) { o.copyThen(dst, src, nil) }

// copyThen is copy, calling brokenPipe instead of ending the copy when
// dst's reader goes away (EPIPE): the copy then reads src on and drops
// what it reads, until src ends or brokenPipe's returned channel closes.
func (o *outputs) copyThen(dst io.Writer, src *os.File, brokenPipe func() <-chan struct{}) {
	if dst == nil {
		dst = io.Discard
	}
	o.mu.Lock()
	o.sources = append(o.sources, src)
	o.mu.Unlock()
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		if err := copyOutput(dst, src, o.tail, brokenPipe); err != nil && !errors.Is(err, syscall.EPIPE) {
			o.mu.Lock()
			if o.writeErr == nil {
				o.writeErr = err
			}
			o.mu.Unlock()
		}
	}()
}

// finish waits up to delay for every source to end, then closes them so
// that copies still blocked (a background process holds the child's end)
// return, and waits for them.
func (o *outputs) finish(delay time.Duration) {
	ended := make(chan struct{})
	go func() {
		o.wg.Wait()
		close(ended)
	}()
	timer := time.NewTimer(delay)
	defer timer.Stop()
	select {
	case <-ended:
		return
	case <-timer.C:
	}
	o.mu.Lock()
	for _, src := range o.sources {
		_ = src.Close()
	}
	o.mu.Unlock()
	<-ended
}

// copyOutput copies src to dst and into t, one read at a time. A pseudo-
// terminal master reports the end of its output as EIO, which like any read
// error ends the copy. It returns the error of a failed write.
func copyOutput(dst io.Writer, src *os.File, t *tail, brokenPipe func() <-chan struct{}) error {
	defer src.Close()
	buf := make([]byte, 64<<10)
	var gone error
	for {
		n, err := src.Read(buf)
		if n > 0 {
			t.Write(buf[:n])
			if _, werr := dst.Write(buf[:n]); werr != nil {
				if brokenPipe == nil || !errors.Is(werr, syscall.EPIPE) {
					// Our reader went away (EPIPE). Closing the
					// child's pipe makes its next write fail the same
					// way, as it would have without us in between.
					// Any other write error (ENOSPC) ends it the same
					// way, and is reported.
					return werr
				}
				gone, dst = werr, io.Discard
				hangUp := brokenPipe()
				brokenPipe = nil
				go func() {
					<-hangUp
					_ = src.Close()
				}()
			}
		}
		if err != nil {
			return gone
		}
	}
}
