package session

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-dev/agentops/bench/spangen"
	"github.com/agentops-dev/agentops/receiver"
	"github.com/agentops-dev/agentops/record"
	"github.com/agentops-dev/agentops/store"
)

// A session that only stores its spans builds no pdata: the receiver reads
// each request in place, the store writes its line from the bytes, and
// spans.jsonl and the counts are those of the pdata path.
func TestSinkStoresRequestsWithoutPData(t *testing.T) {
	var bodies [][]byte
	for i := range 3 {
		b, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(spangen.Traces(64, uint64(i), spangen.AllLLM))
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, b)
	}
	run := func(inPlace bool) ([]byte, int) {
		w := store.Open(t.TempDir()).NewWriter()
		if err := w.Begin(store.Meta{ID: "s", Start: time.Now()}); err != nil {
			t.Fatal(err)
		}
		k := newSink([]receiver.Sink{w}, nil)
		if k.NeedsPData() {
			t.Fatal("a sink whose only consumer is the store needs pdata")
		}
		for _, body := range bodies {
			var batch *receiver.Traces
			if inPlace {
				var err error
				if batch, err = receiver.ReadTraces(body); err != nil {
					t.Fatal(err)
				}
				if _, ok := batch.Request(); !ok {
					t.Fatal("a request read in place has no request")
				}
			} else {
				td, err := (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(body)
				if err != nil {
					t.Fatal(err)
				}
				batch = receiver.TracesOf(td)
			}
			if err := k.ConsumeTraceBatch(context.Background(), batch); err != nil {
				t.Fatal(err)
			}
		}
		var rec record.Session
		k.fill(&rec)
		path := w.Path()
		if err := w.Finish(&rec); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(path, store.SpansFile))
		if err != nil {
			t.Fatal(err)
		}
		return b, rec.Totals.LLMCalls
	}
	got, gotCalls := run(true)
	want, wantCalls := run(false)
	if !bytes.Equal(got, want) || gotCalls != wantCalls || wantCalls == 0 {
		t.Fatalf("stored from the requests: %d bytes, %d calls; from pdata: %d bytes, %d calls", len(got), gotCalls, len(want), wantCalls)
	}
}
