package runner

import (
	"errors"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// errCanceled ends an input copy that was stopped because the child exited.
var errCanceled = errors.New("input copy canceled")

// input copies our stdin to the child's pseudo-terminal. Reading a terminal
// blocks in read(2), which closing nothing interrupts; the copy waits in
// poll(2) on stdin and on a cancel pipe instead, so that it ends the moment
// the child exits and never keeps us alive.
type input struct {
	src     io.Reader
	fd      int // src's descriptor, or -1 when src is not a file
	dst     io.Writer
	cancelR int
	cancelW int
	started bool
	done    chan struct{}
}

func newInput(src io.Reader, dst io.Writer) (*input, error) {
	in := &input{src: src, fd: -1, dst: dst, cancelR: -1, cancelW: -1, done: make(chan struct{})}
	f, ok := src.(*os.File)
	if !ok {
		return in, nil
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return nil, err
	}
	in.fd, in.cancelR, in.cancelW = int(f.Fd()), p[0], p[1]
	return in, nil
}

// start copies until our stdin ends, the copy is canceled or the child's
// side is closed. At the end of our stdin the child gets the terminal's
// end-of-file character, as if Ctrl-D had been typed.
func (in *input) start() {
	in.started = true
	go func() {
		defer close(in.done)
		buf := make([]byte, 32<<10)
		last := byte('\n')
		for {
			n, err := in.read(buf)
			if n > 0 {
				if _, werr := in.dst.Write(buf[:n]); werr != nil {
					return
				}
				last = buf[n-1]
			}
			if err == io.EOF {
				// VEOF ends a read only at the start of a line; a
				// partial line needs one to flush it first.
				eof := []byte{4}
				if last != '\n' {
					eof = []byte{4, 4}
				}
				_, _ = in.dst.Write(eof)
				return
			}
			if err != nil {
				return
			}
		}
	}()
}

func (in *input) read(buf []byte) (int, error) {
	if in.fd < 0 {
		return in.src.Read(buf)
	}
	for {
		fds := []unix.PollFd{
			{Fd: int32(in.fd), Events: unix.POLLIN},
			{Fd: int32(in.cancelR), Events: unix.POLLIN},
		}
		if _, err := unix.Poll(fds, -1); err != nil {
			if err == unix.EINTR {
				continue
			}
			return 0, err
		}
		if fds[1].Revents != 0 {
			return 0, errCanceled
		}
		if fds[0].Revents == 0 {
			continue
		}
		n, err := unix.Read(in.fd, buf)
		switch {
		case err == unix.EINTR || err == unix.EAGAIN:
			continue
		case err != nil:
			// A terminal that hung up reads EIO: the same as its end.
			return 0, io.EOF
		case n == 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

// stop cancels the copy and, when it can be interrupted, waits for it.
// A copy from a reader that is not a file cannot be interrupted; it ends
// with our process. stop may be called more than once.
func (in *input) stop() {
	if in.fd < 0 {
		return
	}
	if in.cancelW >= 0 {
		_ = unix.Close(in.cancelW)
		in.cancelW = -1
	}
	if in.started {
		<-in.done
	}
	if in.cancelR >= 0 {
		_ = unix.Close(in.cancelR)
		in.cancelR = -1
	}
}
