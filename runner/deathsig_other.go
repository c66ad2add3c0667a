//go:build !linux

package runner

import "syscall"

// dieWithUs does nothing where the kernel offers no parent-death signal
// (macOS, the BSDs): there the child outlives a kill -9 of agentops, as it
// does any parent; see the README.
func dieWithUs(*syscall.SysProcAttr) {}

func lockStartThread() (unlock func()) { return func() {} }
