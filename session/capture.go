package session

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/agentops-dev/agentops/capture"
	"github.com/agentops-dev/agentops/exporter"
	"github.com/agentops-dev/agentops/record"
)

// CaptureOptions configure the session's LLM capture proxy.
type CaptureOptions struct {
	// Off runs no proxy and leaves the base-URL variables alone.
	Off bool
	// NoContent keeps prompts and completions off the captured spans.
	NoContent bool
	// Mappings add base-URL variables to the table (--capture-var).
	Mappings []capture.Mapping
	// Gate is asked before each call is forwarded (see capture.Config).
	Gate func(provider string) error
}

// startCapture starts the capture proxy, parented under the session
// span in spanCtx. It returns the base-URL variables for the child; a
// proxy that cannot start is said in rec.Capture and the run goes on
// without it.
func (s *Session) startCapture(ctx context.Context, spanCtx context.Context, rec *record.Session) map[string]string {
	o := s.opts.Capture
	if o.Off {
		return nil
	}
	rec.Capture = &record.Capture{}
	routes, skips, err := capture.Plan(s.opts.Env, o.Mappings)
	for _, sk := range skips {
		rec.Capture.Skipped = append(rec.Capture.Skipped, record.CaptureSkip{Var: sk.Var, Reason: sk.Reason})
	}
	if err != nil {
		rec.Capture.Error = err.Error()
		return nil
	}
	gate := o.Gate
	if gate == nil && s.budget != nil && s.budget.action == BudgetStop {
		// Once a budget is spent the agent is being stopped: a call it
		// still makes meanwhile is refused, as the provider refuses one
		// over a quota.
		gate = func(string) error {
			if e := s.budget.Exceeded(); e != nil {
				return fmt.Errorf("refused by agentops: the session is over its %s", e.Reason())
			}
			return nil
		}
	}
	s.proxy = capture.New(capture.Config{
		Routes:    routes,
		Tracer:    s.tp.Tracer("github.com/agentops-dev/agentops/capture"),
		Parent:    trace.ContextWithSpanContext(context.Background(), trace.SpanContextFromContext(spanCtx)),
		Env:       s.opts.Env,
		NoContent: o.NoContent,
		Gate:      gate,
		Nested:    nested(s.opts.Env),
	})
	if err := s.proxy.Start(ctx); err != nil {
		rec.Capture.Error = fmt.Sprintf("the capture proxy did not start, so LLM calls were not captured: %v", err)
		s.proxy = nil
		return nil
	}
	vars := s.proxy.Vars()
	for _, r := range routes {
		rec.Capture.Vars = append(rec.Capture.Vars, r.Var)
	}
	return vars
}

// stopCapture waits for the calls still in flight (a grandchild's), at
// most until ctx ends, and counts the calls.
func (s *Session) stopCapture(ctx context.Context, rec *record.Session) {
	if s.proxy == nil {
		return
	}
	_ = s.proxy.Shutdown(ctx)
	rec.Capture.Calls = s.proxy.Calls()
}

// captureTally feeds the spans of the capture proxy, which the session's
// TracerProvider makes, to the session's counting: the exporters and the
// store get them as they get the session span.
type captureTally struct{ sink *Sink }

func (c captureTally) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (c captureTally) Shutdown(context.Context) error                  { return nil }
func (c captureTally) ForceFlush(context.Context) error                { return nil }

func (c captureTally) OnEnd(s sdktrace.ReadOnlySpan) {
	for _, kv := range s.Attributes() {
		if kv.Key == capture.AttrCapture && kv.Value.Type() == attribute.BOOL && kv.Value.AsBool() {
			c.sink.tallyCaptured(exporter.TracesFromSpans([]sdktrace.ReadOnlySpan{s}))
			return
		}
	}
}
