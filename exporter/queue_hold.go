package exporter

// Hold keeps the sender from sending until Release: batches queue as
// for a backend that is slow (memory, then the journal or the spill file).
// For an exporter that may send only once the session is counted (the
// AgentOps copy, see AgentOpsCopy). Shutdown releases it.
func (s *Sender) Hold() {
	s.mu.Lock()
	s.held = true
	s.mu.Unlock()
}

// Release lets a held sender send what it queued, and what comes next.
func (s *Sender) Release() {
	s.mu.Lock()
	s.held = false
	s.mu.Unlock()
	s.wake.Broadcast()
}
