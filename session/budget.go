package session

import (
	"sync"
	"time"

	"github.com/agentops-dev/agentops/budget"
	"github.com/agentops-dev/agentops/record"
)

// BudgetAction is what an exceeded budget does to the session.
type BudgetAction string

// The budget actions.
const (
	// BudgetStop stops the agent as --kill-after defines: SIGTERM to its
	// process group, SIGKILL after KillAfter.
	BudgetStop BudgetAction = "stop"
	// BudgetWarn only warns and records the excess.
	BudgetWarn BudgetAction = "warn"
)

// budgetCheckEvery bounds how often the watcher recomputes the spend while
// batches keep arriving: each check walks the counting window.
const budgetCheckEvery = 50 * time.Millisecond

// budgetWatch checks the session's running spend against its limits each
// time telemetry arrives (and when the duration limit falls due), and acts
// once on the first budget exceeded.
type budgetWatch struct {
	limits budget.Limits
	action BudgetAction
	sink   *Sink
	// notify is called, outside any lock, with the exceeded budget or with
	// the count of unpriced calls a cost budget cannot see (first time only).
	notify func(BudgetNotice)

	stop     chan struct{} // closed to stop the child
	done     chan struct{} // closed to end the watch
	finished sync.WaitGroup

	mu         sync.Mutex
	start      time.Time
	exceeded   *budget.Exceeded
	exceededAt time.Time
	unpriced   int
}

// BudgetNotice is what the session tells its user about budgets while the
// child runs: one exceeded budget, or that a cost budget cannot see the
// cost of some calls.
type BudgetNotice struct {
	Exceeded *budget.Exceeded
	Action   BudgetAction
	// UnpricedCalls is set on the first notice that a cost budget is blind
	// to some calls.
	UnpricedCalls int
}

func newBudgetWatch(l budget.Limits, a BudgetAction, sink *Sink, notify func(BudgetNotice)) *budgetWatch {
	if a == "" {
		a = BudgetStop
	}
	if notify == nil {
		notify = func(BudgetNotice) {}
	}
	return &budgetWatch{limits: l, action: a, sink: sink, notify: notify, stop: make(chan struct{}), done: make(chan struct{})}
}

// run watches until end is called; start is the child's start time.
func (b *budgetWatch) run(start time.Time) {
	b.mu.Lock()
	b.start = start
	b.mu.Unlock()
	b.finished.Add(1)
	go func() {
		defer b.finished.Done()
		var due <-chan time.Time
		if b.limits.MaxDuration > 0 {
			t := time.NewTimer(time.Until(start.Add(b.limits.MaxDuration)) + time.Millisecond)
			defer t.Stop()
			due = t.C
		}
		for {
			select {
			case <-b.done:
				return
			case <-b.sink.arrived:
			case <-due:
			}
			if b.check(time.Now()) {
				return
			}
			select {
			case <-b.done:
				return
			case <-time.After(budgetCheckEvery):
			}
		}
	}()
}

// check compares the running spend with the limits; it reports whether a
// budget was exceeded (from then on, nothing more is watched).
func (b *budgetWatch) check(now time.Time) bool {
	spend := b.sink.spend()
	b.mu.Lock()
	if b.exceeded != nil {
		b.mu.Unlock()
		return true
	}
	e := b.limits.Check(spend, now.Sub(b.start))
	firstUnpriced := b.limits.Unpriced(spend) && b.unpriced == 0
	if b.limits.Unpriced(spend) {
		b.unpriced = spend.UnpricedCalls
	}
	if e != nil {
		b.exceeded, b.exceededAt = e, now
		if b.action == BudgetStop {
			close(b.stop)
		}
	}
	b.mu.Unlock()
	if firstUnpriced && e == nil {
		b.notify(BudgetNotice{UnpricedCalls: spend.UnpricedCalls})
	}
	if e != nil {
		b.notify(BudgetNotice{Exceeded: e, Action: b.action})
	}
	return e != nil
}

// Exceeded reports the budget the session went over, if it did: the
// capture proxy refuses LLM requests from then on. It checks the spend
// now rather than waiting for the watcher's next look.
func (b *budgetWatch) Exceeded() *budget.Exceeded {
	b.check(time.Now())
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.exceeded
}

// end stops watching and fills rec.Budget. The end's totals are checked
// too: telemetry that arrived while the session drained can exceed a
// budget after the child is gone (recorded, nothing left to stop).
func (b *budgetWatch) end(rec *record.Session) {
	close(b.done)
	b.finished.Wait()
	l := b.limits
	out := &record.Budget{MaxCostUSD: l.MaxCostUSD, MaxTokens: l.MaxTokens, MaxLLMCalls: l.MaxLLMCalls, OnExceed: string(b.action)}
	if l.MaxDuration > 0 {
		out.MaxDuration = l.MaxDuration.String()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	out.Exceeded, out.ExceededAt = b.exceeded, b.exceededAt.UTC()
	if out.Exceeded == nil {
		t := rec.Totals
		final := spendOf(t)
		if e := l.Check(final, rec.End.Sub(rec.Start)); e != nil {
			out.Exceeded, out.ExceededAt = e, rec.End
		}
	}
	if l.MaxCostUSD > 0 {
		out.UnpricedCalls = rec.Totals.UnpricedCalls
	}
	select {
	case <-b.stop:
		out.Stopped = true
	default:
	}
	rec.Budget = out
}
