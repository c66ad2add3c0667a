package store

import (
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// topFlag reports whether dir has the attribute markTop sets; ok is false
// where the file system has no such attributes.
func topFlag(t *testing.T, dir string) (set, ok bool) {
	t.Helper()
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	flags, err := unix.IoctlGetUint32(fd, unix.FS_IOC_GETFLAGS)
	if err != nil {
		return false, false
	}
	return flags&fsTopdirFL != 0, true
}

// TestStoreRootSpreadsSessions: a store root the writer creates gets the
// "top of directory hierarchies" attribute; a directory that was there
// already (the user's) is left as it is.
func TestStoreRootSpreadsSessions(t *testing.T) {
	existing := t.TempDir()
	probe := t.TempDir()
	markTop(probe)
	if set, _ := topFlag(t, probe); !set {
		t.Skip("the temporary directory's file system has no +T attribute (ext2/3/4 have it)")
	}
	if set, _ := topFlag(t, existing); set {
		t.Skip("the temporary directory has the attribute already")
	}
	made := filepath.Join(t.TempDir(), "new", "store")
	start := time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)
	for _, root := range []string{made, existing} {
		w := begin(t, Open(root), "22222222-bbbb", start)
		if err := w.Discard(); err != nil {
			t.Fatal(err)
		}
	}
	if set, _ := topFlag(t, made); !set {
		t.Errorf("the store root the writer made has no +T attribute")
	}
	if set, _ := topFlag(t, existing); set {
		t.Errorf("an existing directory given as the store was given the +T attribute")
	}
}
