//go:build !linux

package receiver

import "net"

// acceptQueueEmpty cannot see the accept queue outside Linux, so Drain
// always waits for its quiet period there.
func acceptQueueEmpty(net.Listener) bool { return false }

func (r *Receiver) countAccepts(ln net.Listener) net.Listener {
	return &plainCountingListener{Listener: ln, r: r}
}
