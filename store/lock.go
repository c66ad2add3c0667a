package store

import (
	"errors"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// LockFile is the file in a session directory that the agentops writing
// the session holds an exclusive flock on until it finishes. The kernel
// drops the lock when that process dies, however it dies, and the lock is
// seen from every PID namespace sharing the store (a container), which a
// pid is not: a recycled pid no longer keeps a dead session "running", and
// prune no longer deletes a session running in another namespace.
const LockFile = "lock"

// lockSession creates the session's lock file and takes the lock; the
// returned file holds it until closed.
func lockSession(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, LockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// lockHeld reports whether a live process holds the session's lock; known
// is false for a session without a lock file (written before there was
// one), whose liveness only its pid can tell.
func lockHeld(dir string) (held, known bool) {
	f, err := os.OpenFile(filepath.Join(dir, LockFile), os.O_RDONLY, 0)
	if err != nil {
		return false, false
	}
	defer f.Close()
	err = unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		return true, true
	}
	if err == nil {
		_ = unix.Flock(int(f.Fd()), unix.LOCK_UN)
		return false, true
	}
	return false, false
}
