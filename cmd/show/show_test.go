package show

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-dev/agentops/cmd/storedsession"
	"github.com/agentops-dev/agentops/iostreams"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// The fixture store holds two sessions recorded from the real binary
// (internal/testagent -llm 3 -tools 2 -fail-tool -latency 30ms -content,
// then -llm 2 -tools 1), the second cut short: no session.json and its last
// spans line truncated, as when agentops is killed mid-write.
const fixtureStore = "testdata/store"

func noEnv(string) string { return "" }

func showPlain(t *testing.T, ref string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	io := &iostreams.IOStreams{Out: &out, ErrOut: &errOut}
	if err := ShowRun(&Options{IO: io, Ref: ref, StoreDir: fixtureStore, Getenv: noEnv, MaxSpans: 200}); err != nil {
		t.Fatalf("show %s: %v", ref, err)
	}
	return out.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (create it with: go test ./cmd/show -run %s -update)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("plain show output differs from %s (if the change is intended: go test ./cmd/show -update)\n--- got:\n%s\n--- want:\n%s", path, got, want)
	}
}

func TestShowGolden(t *testing.T) {
	got := showPlain(t, "01c2")
	for _, want := range []string{"Waterfall: 7 spans", "chat gpt-4o", "execute_tool search", "✗", "Events (7)"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(got, "\x1b[") {
		t.Error("plain output has ANSI escapes")
	}
	golden(t, "show.golden", got)
}

// TestShowTruncated: the killed session is shown with what survived: its
// state, the problem, and the child's spans that were written whole.
func TestShowTruncated(t *testing.T) {
	got := showPlain(t, "last")
	for _, want := range []string{"(incomplete)", "cut short", "no final record", "Waterfall: 4 spans", "gpt-4o-mini      2"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	golden(t, "show-incomplete.golden", got)
}

func TestShowJSON(t *testing.T) {
	var out bytes.Buffer
	io := &iostreams.IOStreams{Out: &out, ErrOut: &out}
	if err := ShowRun(&Options{IO: io, Ref: "01c21a9a", StoreDir: fixtureStore, JSON: true, Getenv: noEnv}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		State   string
		Session struct {
			ID     string
			Totals struct {
				LLMCalls int `json:"llm_calls"`
			}
		}
		Spans struct {
			ResourceSpans []json.RawMessage
		}
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.State != "ok" || doc.Session.Totals.LLMCalls != 3 || len(doc.Spans.ResourceSpans) != 2 {
		t.Errorf("json = %+v", doc)
	}
}

func TestShowErrors(t *testing.T) {
	io := &iostreams.IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}
	for ref, want := range map[string]string{"nope": "no such session", "": ""} {
		err := ShowRun(&Options{IO: io, Ref: ref, StoreDir: fixtureStore, Getenv: noEnv})
		if want == "" {
			if err != nil {
				t.Errorf("show %q: %v", ref, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("show %q: %v, want %q", ref, err, want)
		}
	}
	err := ShowRun(&Options{IO: io, Ref: "last", StoreDir: t.TempDir(), Getenv: noEnv})
	if err == nil || !strings.Contains(err.Error(), "agentops run") {
		t.Errorf("empty store: %v", err)
	}
}

func TestShowNegativeMaxSpans(t *testing.T) {
	io := &iostreams.IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}
	c := NewCmdShow(io, func(*Options) error { t.Error("ran with --max-spans -1"); return nil })
	c.SetArgs([]string{"--max-spans", "-1"})
	c.SilenceUsage, c.SilenceErrors = true, true
	if err := c.Execute(); err == nil || !strings.Contains(err.Error(), "negative") {
		t.Errorf("--max-spans -1: %v, want a usage error", err)
	}
}

func TestShowMaxSpans(t *testing.T) {
	var out bytes.Buffer
	io := &iostreams.IOStreams{Out: &out, ErrOut: &out}
	if err := ShowRun(&Options{IO: io, Ref: "01c2", StoreDir: fixtureStore, Getenv: noEnv, MaxSpans: 3}); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if !strings.Contains(got, "Waterfall: 3 spans") || !strings.Contains(got, "and 4 more spans") {
		t.Errorf("--max-spans 3:\n%s", got)
	}
}

// TestShowJSONStreamsWhatLoadReads: --json, written a stored batch at a
// time, holds every span Load reads whole, the record, and the problems
// (the incomplete session's cut line), as one JSON document.
func TestShowJSONStreamsWhatLoadReads(t *testing.T) {
	for _, ref := range []string{"01c21a9a", "18fe55a8"} {
		t.Run(ref, func(t *testing.T) {
			var out bytes.Buffer
			io := &iostreams.IOStreams{Out: &out, ErrOut: &out}
			if err := ShowRun(&Options{IO: io, Ref: ref, StoreDir: fixtureStore, JSON: true, Getenv: noEnv}); err != nil {
				t.Fatal(err)
			}
			var doc struct {
				State    string
				Problems []string
				Session  struct {
					ID     string
					Totals struct {
						LLMCalls int `json:"llm_calls"`
					}
				}
				Spans json.RawMessage
			}
			if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
				t.Fatalf("not one JSON document: %v\n%s", err, out.String())
			}
			whole, err := storedsession.Load(fixtureStore, noEnv, ref)
			if err != nil {
				t.Fatal(err)
			}
			got, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(doc.Spans)
			if err != nil {
				t.Fatal(err)
			}
			gotJSON, _ := (&ptrace.JSONMarshaler{}).MarshalTraces(got)
			wantJSON, _ := (&ptrace.JSONMarshaler{}).MarshalTraces(whole.Traces)
			if !bytes.Equal(gotJSON, wantJSON) || got.SpanCount() == 0 {
				t.Errorf("spans differ from Load's (%d vs %d spans)", got.SpanCount(), whole.Traces.SpanCount())
			}
			if doc.Session.ID != whole.Record.ID || doc.Session.Totals.LLMCalls != whole.Record.Totals.LLMCalls || doc.State != string(whole.State) {
				t.Errorf("record %s %d %s, Load's %s %d %s", doc.Session.ID, doc.Session.Totals.LLMCalls, doc.State, whole.Record.ID, whole.Record.Totals.LLMCalls, whole.State)
			}
			if !slices.Equal(doc.Problems, whole.Problems) {
				t.Errorf("problems %q, Load's %q", doc.Problems, whole.Problems)
			}
		})
	}
}
