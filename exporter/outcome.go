package exporter

import (
	"errors"
	"sync"
)

type outcomeKind int

const (
	outcomeSent outcomeKind = iota
	// outcomeFailed: refused by the backend for good, or unreadable.
	outcomeFailed
	// outcomeRejected: items a partial success refused (counted failed,
	// not kept: the rest of their batch was delivered).
	outcomeRejected
	// outcomeInDoubt: sent, and no answer came before the cut.
	outcomeInDoubt
	// outcomeLeft: not delivered when the sender was cut (never sent, or
	// still being retried).
	outcomeLeft
)

// Counts is what became of one signal's items at one exporter.
type Counts struct {
	Enqueued, Sent, Failed, InDoubt, Left int64
	// Dropped items are accounted for nowhere else: they were lost (the
	// unsent record could not be written). Nothing else drops.
	Dropped int64
}

// Outcome says what became of everything given to an exporter.
type Outcome struct {
	Signals [3]Counts
	// Err is the last failure, cut or not.
	Err error
	// Unsent is the unsent record (see WriteUnsent), once written.
	Unsent string
}

// Total adds up the signals' counts.
func (o Outcome) Total() Counts {
	var t Counts
	for _, c := range o.Signals {
		t.Enqueued += c.Enqueued
		t.Sent += c.Sent
		t.Failed += c.Failed
		t.InDoubt += c.InDoubt
		t.Left += c.Left
		t.Dropped += c.Dropped
	}
	return t
}

// outcomes tallies a sender's results and keeps what the unsent record
// needs: the items left, failed and in doubt.
type outcomes struct {
	mu      sync.Mutex
	counts  [3][5]int64
	kept    [3][5][]item
	lastErr error
	keepErr error
}

func (o *outcomes) add(sig Signal, k outcomeKind, n int64, err error, keep []item) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.counts[sig][k] += n
	if err != nil {
		o.lastErr = err
	}
	if k != outcomeSent && k != outcomeRejected {
		o.kept[sig][k] = append(o.kept[sig][k], keep...)
	}
}

func (o *outcomes) setErr(err error) {
	o.mu.Lock()
	o.lastErr = err
	o.mu.Unlock()
}

func (o *outcomes) outcome(enq [3]int64) Outcome {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out Outcome
	for _, sg := range Signals {
		c := o.counts[sg]
		out.Signals[sg] = Counts{
			Enqueued: enq[sg],
			Sent:     c[outcomeSent],
			Failed:   c[outcomeFailed] + c[outcomeRejected],
			InDoubt:  c[outcomeInDoubt],
			Left:     c[outcomeLeft],
		}
		d := enq[sg] - c[outcomeSent] - c[outcomeFailed] - c[outcomeRejected] - c[outcomeInDoubt] - c[outcomeLeft]
		out.Signals[sg].Dropped = max(0, d)
	}
	out.Err = o.lastErr
	if o.keepErr != nil {
		out.Err = errors.Join(out.Err, o.keepErr)
	}
	return out
}
