package exporter

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// QueueConfig configures a Sender's sending queue.
type QueueConfig struct {
	// BatchSize is the most items (spans, log records, data points) one
	// request carries; smaller queued batches are merged up to it, larger
	// ones split. 0 means 512.
	BatchSize int
	// QueueSize is how many items of each signal the sender holds in
	// memory; beyond it a batch waits in the journal (the store) or the
	// spill file and is read back when its turn comes. 0 means 8192.
	QueueSize int
	// Consumers is the number of concurrent requests (a Collector's
	// num_consumers). 0 means 4.
	Consumers int
	// Spill is the OTLP JSON lines file that keeps batches the journal
	// does not have (no store) once memory is full, up to SpillLimit
	// bytes; it is also where unsent batches without a journal line are
	// written at the end. Empty: no spill, and a full memory queue refuses
	// batches (backpressure).
	Spill      string
	SpillLimit int64
	// Retry paces retries of retryable failures; attempts go on until the
	// sender is cut (the export timeout).
	Retry Retry
}

func (c QueueConfig) withDefaults() QueueConfig {
	if c.BatchSize <= 0 {
		c.BatchSize = 512
	}
	if c.QueueSize <= 0 {
		c.QueueSize = 8192
	}
	if c.Consumers <= 0 {
		c.Consumers = 4
	}
	c.Retry = c.Retry.orDefault()
	return c
}

// ErrQueueFull is the Sender's refusal of a batch it has nowhere to keep:
// memory is full and there is neither a journal line nor spill room. The
// receiver answers it with a retryable status (HTTP 503 with Retry-After,
// gRPC UNAVAILABLE), so the child's SDK sends the batch again later.
var ErrQueueFull = errors.New("export queue full: the backend is slower than the child; retry later")

// item is one unit of work: a batch held in memory, or one kept in a file
// (ref), or both.
type item struct {
	batch Batch
	inMem bool
	ref   Ref
	items int
}

type signalQueue struct {
	mem      []item
	memItems int
	disk     []item // batches only in a file, read back when taken
	enqueued int64
}

// Sender is one exporter's sending queue: batches of every signal the
// exporter carries wait in memory, or in the journal or spill file when
// memory is full, and Consumers goroutines send them, retrying retryable
// failures until the sender is cut. It accounts for every item: sent,
// failed (refused by the backend), in doubt (sent, no answer), or left
// (still queued when cut), and keeps the unsent record.
type Sender struct {
	Spec   Spec
	Label  string
	Remote bool
	// Source says why the exporter runs, for the unsent record.
	Source string

	exp Exporter
	cfg QueueConfig

	mu       sync.Mutex
	wake     *sync.Cond
	q        [3]signalQueue
	closed   bool
	inFlight int
	// held keeps the consumers waiting until Release or Close (Hold).
	held bool

	cutCtx context.Context
	cut    context.CancelFunc
	wg     sync.WaitGroup
	done   chan struct{}

	out     *outcomes
	spill   *File
	spillMu sync.Mutex
	spillN  int64
	spillOK bool
	record  string
	files   openFiles
	filesMu sync.Mutex
}

// NewSender wraps exp in a sending queue and starts its consumers.
func NewSender(spec Spec, label string, exp Exporter, cfg QueueConfig) *Sender {
	s := &Sender{Spec: spec, Label: label, Remote: IsRemote(spec.Name), exp: exp, cfg: cfg.withDefaults(), done: make(chan struct{}), out: &outcomes{}}
	s.wake = sync.NewCond(&s.mu)
	s.cutCtx, s.cut = context.WithCancel(context.Background())
	s.spillOK = s.cfg.Spill != ""
	for range s.cfg.Consumers {
		s.wg.Go(s.consume)
	}
	go func() { s.wg.Wait(); close(s.done) }()
	return s
}

// Exporter is the wrapped exporter.
func (s *Sender) Exporter() Exporter { return s.exp }

// Carries says whether the exporter takes signal sig.
func (s *Sender) Carries(sig Signal) bool { return Carries(s.exp, sig) }

// CanTake says whether Offer would keep a batch of n items of sig without
// a journal line: room in memory, or in the spill file. A batch that has a
// journal line can always be taken.
func (s *Sender) CanTake(sig Signal, n int, hasRef bool) bool {
	if hasRef || !s.Carries(sig) {
		return true
	}
	s.mu.Lock()
	q := &s.q[sig]
	// A held sender (Hold) cannot catch up before the session ends:
	// refusing would hold up the child for the whole session, so it keeps
	// what comes, past its limits.
	room := q.memItems == 0 || q.memItems+n <= s.cfg.QueueSize || s.held
	s.mu.Unlock()
	if room {
		return true
	}
	s.spillMu.Lock()
	defer s.spillMu.Unlock()
	return s.spillOK && (s.cfg.SpillLimit <= 0 || s.spillN < s.cfg.SpillLimit)
}

// Offer queues b (kept at ref when ref is valid). It never refuses: ask
// CanTake first. must keeps b in memory whatever the queue holds (the
// session's own few spans).
func (s *Sender) Offer(b Batch, ref Ref, must bool) {
	if !s.Carries(b.Signal) {
		return
	}
	n := b.Items()
	if n == 0 {
		return
	}
	s.mu.Lock()
	q := &s.q[b.Signal]
	q.enqueued += int64(n)
	if must || q.memItems == 0 || q.memItems+n <= s.cfg.QueueSize || (!ref.Valid() && !s.spillOK) {
		q.mem = append(q.mem, item{batch: b, inMem: true, ref: ref, items: n})
		q.memItems += n
		s.mu.Unlock()
		s.wake.Signal()
		return
	}
	if ref.Valid() {
		q.disk = append(q.disk, item{ref: ref, items: n})
		s.mu.Unlock()
		s.wake.Signal()
		return
	}
	s.mu.Unlock()
	// Over memory and not in the journal: to the spill file.
	r, err := s.writeSpill(b)
	s.mu.Lock()
	if err != nil {
		// The spill file failed: memory it is, rather than losing it.
		q.mem = append(q.mem, item{batch: b, inMem: true, items: n})
		q.memItems += n
	} else {
		q.disk = append(q.disk, item{ref: r, items: n})
	}
	s.mu.Unlock()
	s.wake.Signal()
}

// writeSpill appends b to the spill file, opening it on first use.
func (s *Sender) writeSpill(b Batch) (Ref, error) {
	s.spillMu.Lock()
	defer s.spillMu.Unlock()
	if !s.spillOK {
		return Ref{}, errors.New("no spill file")
	}
	if s.spill == nil {
		f, err := openSpill(s.cfg.Spill)
		if err != nil {
			s.spillOK = false
			s.out.setErr(fmt.Errorf("spill file: %w", err))
			return Ref{}, err
		}
		s.spill = f
	}
	var r Ref
	var err error
	switch b.Signal {
	case Logs:
		r, err = s.spill.WriteLogs(b.Logs)
	case Metrics:
		r, err = s.spill.WriteMetrics(b.Metrics)
	default:
		r, err = s.spill.WriteTraces(b.Traces)
	}
	if err != nil {
		s.spillOK = false
		s.out.setErr(fmt.Errorf("spill file: %w", err))
		return Ref{}, err
	}
	s.spillN += r.Length + 1
	return r, nil
}

// take pops the next work: in-memory batches first, merged up to the
// batch size, else batches kept in files. ok is false when the sender is
// closed and nothing is left, or it was cut.
func (s *Sender) take() (sig Signal, work []item, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		if s.cutCtx.Err() != nil {
			return 0, nil, false
		}
		if s.held && !s.closed {
			s.wake.Wait()
			continue
		}
		for _, sg := range Signals {
			q := &s.q[sg]
			if len(q.mem) > 0 {
				work, q.mem = takeUpTo(q.mem, s.cfg.BatchSize)
				for _, it := range work {
					q.memItems -= it.items
				}
				s.inFlight++
				return sg, work, true
			}
		}
		for _, sg := range Signals {
			q := &s.q[sg]
			if len(q.disk) > 0 {
				work, q.disk = takeUpTo(q.disk, s.cfg.BatchSize)
				s.inFlight++
				return sg, work, true
			}
		}
		if s.closed {
			return 0, nil, false
		}
		s.wake.Wait()
	}
}

// takeUpTo pops the first item and those after it that fit in max items.
// An item of unknown size (OfferRef's, counted once read) is a request of
// its own: taken together, a session's every line was read back into one
// request (export of a million spans held 2.1 GiB).
func takeUpTo(q []item, max int) ([]item, []item) {
	n, total := 1, q[0].items
	for n < len(q) && q[0].items > 0 && q[n].items > 0 && total+q[n].items <= max {
		total += q[n].items
		n++
	}
	work := make([]item, n)
	copy(work, q[:n])
	clear(q[:n])
	return work, q[n:]
}

// consume sends work until the sender is closed and empty, or cut.
func (s *Sender) consume() {
	for {
		sig, work, ok := s.take()
		if !ok {
			return
		}
		s.send(sig, work)
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
		s.wake.Broadcast()
	}
}

// send builds the request of work (reading file-kept batches back),
// splits it to the batch size, sends each part with retries and accounts
// for the outcome.
func (s *Sender) send(sig Signal, work []item) {
	parts := make([]Batch, 0, len(work))
	for _, it := range work {
		if it.inMem {
			parts = append(parts, it.batch)
			continue
		}
		b, err := s.read(it.ref, sig)
		if err == nil && it.items == 0 {
			// Offered by reference, uncounted (OfferRef): count it now.
			n := b.Items()
			s.mu.Lock()
			s.q[sig].enqueued += int64(n)
			s.mu.Unlock()
			for i := range work {
				if work[i].ref == it.ref {
					work[i].items, work[i].ref.Items = n, int64(n)
				}
			}
		}
		if err != nil {
			// The line cannot be read back: it stays in the record, for
			// export to try again; counted failed.
			s.out.add(sig, outcomeFailed, int64(it.items), err, []item{it})
			continue
		}
		parts = append(parts, b)
		it.batch = b
	}
	if len(parts) == 0 {
		return
	}
	chunks := split(merge(sig, parts), s.cfg.BatchSize)
	// The record keeps file references when what failed is exactly the
	// lines they name; otherwise the failed chunk itself is written out.
	whole := len(chunks) == 1
	for _, c := range chunks {
		var refs []item
		if whole {
			refs = work
		} else {
			refs = []item{{batch: c, inMem: true, items: c.Items()}}
		}
		kind, n, err := s.attempt(c)
		switch kind {
		case outcomeSent:
			s.out.add(sig, outcomeSent, int64(c.Items())-n, nil, nil)
			if n > 0 {
				// Rejected by the backend for good: counted, not kept
				// (resending the batch would duplicate what it kept).
				s.out.add(sig, outcomeRejected, n, err, nil)
			}
		default:
			s.out.add(sig, kind, int64(c.Items()), err, refs)
		}
	}
}

// read reads a file-kept batch back.
func (s *Sender) read(r Ref, sig Signal) (Batch, error) {
	s.filesMu.Lock()
	f, err := s.files.get(r.File)
	s.filesMu.Unlock()
	if err != nil {
		return Batch{}, err
	}
	return ReadRef(f, r, sig)
}

// attempt sends b until it is sent, refused for good, in doubt, or the
// sender is cut. n is the number of items a partial success rejected.
func (s *Sender) attempt(b Batch) (kind outcomeKind, n int64, err error) {
	backoff := s.cfg.Retry.InitialInterval
	for {
		err = Export(s.cutCtx, s.exp, b)
		var pe *PartialError
		switch {
		case err == nil:
			return outcomeSent, 0, nil
		case errors.As(err, &pe):
			return outcomeSent, pe.Rejected, err
		case errors.Is(err, ErrInDoubt):
			return outcomeInDoubt, 0, err
		case s.cutCtx.Err() != nil:
			return outcomeLeft, 0, fmt.Errorf("%w: %w", ErrCut, err)
		case IsPermanent(err) || s.cfg.Retry.Disabled:
			return outcomeFailed, 0, err
		}
		s.out.setErr(err)
		// Jitter, so concurrent senders do not retry in step; a wait the
		// backend asked for is a minimum.
		wait := backoff/2 + rand.N(backoff/2+1)
		if d, ok := retryAfterOf(err); ok && d > wait {
			wait = d
		}
		backoff = min(backoff*2, s.cfg.Retry.MaxInterval)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-s.cutCtx.Done():
			t.Stop()
			return outcomeLeft, 0, fmt.Errorf("%w: %w", ErrCut, err)
		}
	}
}

// ErrCut is the failure of an export cut off at the export timeout.
var ErrCut = errors.New("cut off at the export timeout")

// Close says no more batches will come: consumers send what is queued and
// stop. Wait for Done, or Cut.
func (s *Sender) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.wake.Broadcast()
}

// Cut stops sending now: the attempts in flight are cancelled (a request
// already written is in doubt) and what is queued is left.
func (s *Sender) Cut() {
	s.cut()
	s.mu.Lock()
	s.mu.Unlock()
	s.wake.Broadcast()
}

// Done is closed once every consumer has stopped.
func (s *Sender) Done() <-chan struct{} { return s.done }

// Shutdown closes the sender, waits until everything is sent or ctx ends
// (then cuts it), shuts the exporter down, and returns the outcome. Items
// still queued are left, with what was cut, failed or in doubt, in the
// unsent record (when record is not empty).
func (s *Sender) Shutdown(ctx context.Context) Outcome {
	s.Close()
	select {
	case <-s.done:
	case <-ctx.Done():
		s.Cut()
		<-s.done
	}
	// What the consumers never took is left.
	s.mu.Lock()
	for _, sg := range Signals {
		q := &s.q[sg]
		left := append(q.mem, q.disk...)
		q.mem, q.disk = nil, nil
		var n int64
		for _, it := range left {
			n += int64(it.items)
		}
		if n > 0 {
			s.out.add(sg, outcomeLeft, n, ErrCut, left)
		}
	}
	s.mu.Unlock()
	sctx := ctx
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		sctx, cancel = context.WithTimeout(context.Background(), time.Second)
		defer cancel()
	}
	err := s.exp.Shutdown(sctx)
	s.filesMu.Lock()
	s.files.close()
	s.filesMu.Unlock()
	o := s.Outcome()
	if err != nil && o.Err == nil && ctx.Err() == nil {
		o.Err = fmt.Errorf("shut down: %w", err)
	}
	return o
}

// Outcome is the tally so far.
func (s *Sender) Outcome() Outcome {
	s.mu.Lock()
	var enq [3]int64
	for _, sg := range Signals {
		enq[sg] = s.q[sg].enqueued
	}
	s.mu.Unlock()
	return s.out.outcome(enq)
}
