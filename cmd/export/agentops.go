package export

import (
	"bufio"
	"encoding/hex"
	"os"
	"path/filepath"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-dev/agentops/events"
	"github.com/agentops-dev/agentops/exporter"
	"github.com/agentops-dev/agentops/pricing"
	"github.com/agentops-dev/agentops/store"
)

// countStored gives an exporter that sends what the session's counting
// made of each span (the agentops exporter: exporter.AgentOpsCopy) the
// counting of the stored session, redone from its spans and log records
// as the run did it, priced by the price table in use now. Other
// exporters are left alone.
func countStored(exp exporter.Exporter, e *store.Entry, opts *Options) {
	c, ok := exp.(interface {
		Counted(exporter.AgentOpsSession)
	})
	if !ok {
		return
	}
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	root, err := store.Root(opts.StoreDir, getenv)
	if err != nil {
		return
	}
	s, err := store.Open(root).Load(e)
	if err != nil || s.Record == nil || s.Record.TraceID == "" || s.Traces.SpanCount() == 0 {
		// Nothing to count from (an unstored session's unsent batches):
		// the spans go as they are.
		return
	}
	uses := &events.SpanUses{}
	w := events.Window{Pricer: pricing.Default(), Decided: uses.Note}
	events.EachSpan(s.Traces, func(sp ptrace.Span) {
		w.AddSpan(sp.SpanID(), sp.ParentSpanID())
		w.AddEvents(events.FromSpan(sp)...)
	})
	if f, err := os.Open(filepath.Join(e.Path, store.LogsFile)); err == nil {
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 64<<20)
		for sc.Scan() {
			b, err := exporter.DecodeLine(sc.Bytes(), exporter.Logs)
			if err != nil {
				continue
			}
			rls := b.Logs.ResourceLogs()
			for i := 0; i < rls.Len(); i++ {
				sls := rls.At(i).ScopeLogs()
				for j := 0; j < sls.Len(); j++ {
					lrs := sls.At(j).LogRecords()
					for k := 0; k < lrs.Len(); k++ {
						w.AddEvents(events.FromLogRecord(lrs.At(k))...)
					}
				}
			}
		}
		f.Close()
	}
	w.Finish(s.Record.RootSpanID)
	var trace pcommon.TraceID
	var span pcommon.SpanID
	_, _ = hex.Decode(trace[:], []byte(s.Record.TraceID))
	_, _ = hex.Decode(span[:], []byte(s.Record.RootSpanID))
	c.Counted(exporter.AgentOpsSession{TraceID: trace, RootSpanID: span, Uses: uses})
}
