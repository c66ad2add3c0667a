package store

import (
	"errors"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// LockDir is Meta.Lock of a session whose writing agentops holds an
// exclusive flock on the session's directory itself until it finishes. The
// kernel drops the lock when that process dies, however it dies, and the
// lock is seen from every PID namespace sharing the store (a container),
// which a pid is not: a recycled pid never keeps a dead session "running",
// and prune never deletes a session running in another namespace. Locking
// the directory rather than a file in it creates no file, which cost half
// a millisecond before every child started on a busy disk.
const LockDir = "dir"

// LockFile is the file that sessions written before LockDir hold their
// flock on; they are still read that way.
const LockFile = "lock"

// lockSession takes the lock on the session's directory; the returned file
// (the directory, opened) holds it until closed.
func lockSession(dir string) (*os.File, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// lockHeld reports whether a live process holds the session's lock: on its
// directory for a session whose meta says LockDir, else on its LockFile.
// known is false for a session with neither (written before there was a
// lock), whose liveness only its pid can tell.
func lockHeld(dir string, m Meta) (held, known bool) {
	path := filepath.Join(dir, LockFile)
	if m.Lock == LockDir {
		path = dir
	}
	f, err := os.Open(path)
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
