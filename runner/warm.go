package runner

import "os"

// Warm does in the background the work of a process's first child start
// that does not depend on the child, and returns a function that waits
// for it. That work is os/exec's probe of pidfd support, made once per
// process before its first child: a clone of a child that exits at once
// and a wait for it (a tenth to half a millisecond on a busy machine),
// which otherwise comes between Start and the child running. A Run that
// comes first waits for it: the probe is the os package's own sync.Once.
func Warm() (wait func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		// FindProcess makes the probe (os.pidfdFind); the pidfd it opens
		// on us is closed at once.
		if p, err := os.FindProcess(os.Getpid()); err == nil {
			_ = p.Release()
		}
	}()
	return func() { <-done }
}
