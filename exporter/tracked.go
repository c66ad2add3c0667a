package exporter

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// ErrCut is the failure of an export cut off at the export timeout.
var ErrCut = errors.New("cut off at the export timeout")

// Tracked wraps an exporter to account for every span it is given: how
// many were sent, how many failed and why, and, when an unsent path is set,
// the failed spans themselves, appended there as OTLP JSON lines so the
// session keeps them. Cut makes the in-flight export and every later one
// fail at once, so a hanging backend cannot hold the session.
type Tracked struct {
	Spec   Spec
	Label  string
	Remote bool

	exp    sdktrace.SpanExporter
	unsent string

	cutCtx context.Context
	cut    context.CancelFunc
	done   chan struct{}
	once   sync.Once

	enqueued atomic.Int64
	sent     atomic.Int64
	failed   atomic.Int64

	mu      sync.Mutex
	lastErr error
	file    *File
	fileErr error
}

// NewTracked wraps exp. unsentPath may be empty: failed spans are then only
// counted.
func NewTracked(spec Spec, label string, exp sdktrace.SpanExporter, unsentPath string) *Tracked {
	t := &Tracked{Spec: spec, Label: label, Remote: IsRemote(spec.Name), exp: exp, unsent: unsentPath, done: make(chan struct{})}
	t.cutCtx, t.cut = context.WithCancel(context.Background())
	return t
}

// SetUnsentPath sets the file failed spans are kept in; call it before the
// first export.
func (t *Tracked) SetUnsentPath(path string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.unsent = path
}

// Exporter is the wrapped exporter.
func (t *Tracked) Exporter() sdktrace.SpanExporter { return t.exp }

// ExportSpans sends spans through the wrapped exporter and records the result.
func (t *Tracked) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if t.cutCtx.Err() != nil {
		t.fail(spans, ErrCut)
		return ErrCut
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(t.cutCtx, cancel)
	defer stop()
	err := t.exp.ExportSpans(ctx, spans)
	if err != nil {
		if t.cutCtx.Err() != nil {
			err = fmt.Errorf("%w: %w", ErrCut, err)
		}
		t.fail(spans, err)
		return err
	}
	t.sent.Add(int64(len(spans)))
	return nil
}

func (t *Tracked) fail(spans []sdktrace.ReadOnlySpan, err error) {
	t.failed.Add(int64(len(spans)))
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lastErr = err
	if t.unsent == "" || t.fileErr != nil {
		return
	}
	if t.file == nil {
		if err := os.MkdirAll(filepath.Dir(t.unsent), 0o700); err != nil {
			t.fileErr = err
			return
		}
		if t.file, t.fileErr = NewFile(t.unsent); t.fileErr != nil {
			return
		}
	}
	if err := t.file.ExportSpans(context.Background(), spans); err != nil {
		t.fileErr = err
	}
}

// Shutdown shuts the wrapped exporter down and closes the unsent file.
func (t *Tracked) Shutdown(ctx context.Context) error {
	var err error
	t.once.Do(func() {
		defer close(t.done)
		if t.cutCtx.Err() != nil {
			// Past the deadline: do not wait for the backend again.
			var cancel context.CancelFunc
			ctx, cancel = context.WithCancel(ctx)
			cancel()
		}
		err = t.exp.Shutdown(ctx)
		t.mu.Lock()
		if t.file != nil {
			_ = t.file.Shutdown(ctx)
		}
		t.mu.Unlock()
	})
	return err
}

// Cut fails the in-flight export and every later one immediately.
func (t *Tracked) Cut() { t.cut() }

// Done is closed once Shutdown has run.
func (t *Tracked) Done() <-chan struct{} { return t.done }

// Enqueued counts spans handed to this exporter's processor.
func (t *Tracked) Enqueued(n int) { t.enqueued.Add(int64(n)) }

// Outcome says what became of the spans given to this exporter so far.
type Outcome struct {
	Sent, Failed, Dropped int64
	Err                   error
	// Unsent is the file the failed spans were written to, if any.
	Unsent string
}

// Outcome reports the tally. Spans enqueued but neither sent nor failed
// were dropped by a full queue or never reached the exporter.
func (t *Tracked) Outcome() Outcome {
	o := Outcome{Sent: t.sent.Load(), Failed: t.failed.Load()}
	o.Dropped = t.enqueued.Load() - o.Sent - o.Failed
	if o.Dropped < 0 {
		o.Dropped = 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	o.Err = t.lastErr
	if t.file != nil && t.fileErr == nil {
		o.Unsent = t.unsent
	}
	if t.fileErr != nil {
		o.Err = errors.Join(o.Err, fmt.Errorf("keep unsent spans: %w", t.fileErr))
	}
	return o
}
