//go:build !linux

package store

// markTop does nothing: the attribute it sets on Linux (see
// topdir_linux.go) is ext4's.
func markTop(string) {}
