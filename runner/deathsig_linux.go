package runner

import (
	"runtime"
	"syscall"
)

// dieWithUs makes the kernel kill the child when we die, however we die
// (kill -9, the OOM killer, a crash): PR_SET_PDEATHSIG. The signal is sent
// when the thread that forked the child exits, not the process, so the
// caller keeps the goroutine that starts the child locked to its thread
// until the child is reaped (see lockStartThread): no other goroutine can
// then take that thread and end it with LockOSThread.
func dieWithUs(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }

// lockStartThread pins the calling goroutine to its thread for the
// child's life; call the returned function once the child is reaped.
func lockStartThread() (unlock func()) {
	runtime.LockOSThread()
	return runtime.UnlockOSThread
}
