package e2e

import (
	"bufio"
	"fmt"
	"math"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-dev/agentops/internal/agentopsstandin"
)

// TestAgentOpsShowsTheSummary sends a session in each convention to the
// AgentOps stand-in, which adds up what it receives as the backend does:
// tokens and cost there equal the summary's, the session span is named
// *.session with status OK (ERROR when the child fails), and the file
// exporter still gets the child's spans exactly as they were sent.
func TestAgentOpsShowsTheSummary(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		convention string
		exit       int
	}{{"gen_ai", 0}, {"openinference", 0}, {"traceloop", 0}, {"wrapper", 0}, {"gen_ai", 3}, {"wrapper", 1}}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/exit%d", c.convention, c.exit), func(t *testing.T) {
			standIn := &agentopsstandin.Server{Key: aoKey}
			srv := httptest.NewServer(standIn)
			defer srv.Close()
			out := t.TempDir()
			sentPath := filepath.Join(out, "sent.json")
			env := withStore(t, childEnvVar+"=aoconvention", "AGENTOPS_E2E_CONVENTION="+c.convention, "AGENTOPS_E2E_SENT="+sentPath,
				fmt.Sprintf("AGENTOPS_E2E_EXIT=%d", c.exit),
				"AGENTOPS_API_KEY="+aoKey, "AGENTOPS_API_ENDPOINT="+srv.URL, "AGENTOPS_EXPORTER_ENDPOINT="+srv.URL+"/v1/traces")
			res := runAgentops(t, env, []string{"-e", "file=" + filepath.Join(out, "spans.jsonl")}, self)
			if res.exitCode != c.exit {
				t.Fatalf("exit %d, want %d\nstderr:\n%s", res.exitCode, c.exit, res.stderr)
			}
			s := res.session
			tot := s.Totals
			if tot.LLMCalls == 0 || tot.UnpricedCalls != 0 || tot.CostUSD == 0 {
				t.Fatalf("scenario: %d LLM calls, %d unpriced, $%g: the comparison needs priced calls", tot.LLMCalls, tot.UnpricedCalls, tot.CostUSD)
			}
			sums := standIn.Sums(nil)
			if len(sums) != 1 || sums[0].TraceID != s.TraceID {
				t.Fatalf("AgentOps got %d traces, want the session's one: %+v", len(sums), sums)
			}
			got := sums[0]
			sent := readOTLPJSON(t, sentPath)
			raw := agentopsstandin.Sum(sent, nil)
			t.Logf("summary: %d calls, %d in / %d out / %d cache read / %d reasoning tokens, $%.9f", tot.LLMCalls, tot.InputTokens, tot.OutputTokens, tot.CacheReadTokens, tot.ReasoningTokens, tot.CostUSD)
			t.Logf("AgentOps: %d spans, %d prompt / %d completion / %d cache read / %d reasoning / %d total tokens, $%.9f",
				got.Spans, got.PromptTokens, got.CompletionTokens, got.CacheReadTokens, got.ReasoningTokens, got.TotalTokens, got.Cost)
			t.Logf("the child's spans as sent would show: %d prompt / %d completion tokens, $%.9f", raw[0].PromptTokens, raw[0].CompletionTokens, raw[0].Cost)
			if got.PromptTokens != tot.InputTokens || got.CompletionTokens != tot.OutputTokens ||
				got.CacheReadTokens != tot.CacheReadTokens || got.ReasoningTokens != tot.ReasoningTokens ||
				got.TotalTokens != tot.InputTokens+tot.OutputTokens || math.Abs(got.Cost-tot.CostUSD) > 1e-12 {
				t.Errorf("AgentOps does not show the summary's tokens and cost")
			}
			wantStatus := ptrace.StatusCodeOk
			if c.exit != 0 {
				wantStatus = ptrace.StatusCodeError
			}
			if got.Title != filepath.Base(self)+".session" || got.TitleKind != "session" || got.TitleStatus != wantStatus || got.Sessions != 1 {
				t.Errorf("AgentOps trace %q (kind %q, status %v, %d session spans), want %s.session with status %v",
					got.Title, got.TitleKind, got.TitleStatus, got.Sessions, filepath.Base(self), wantStatus)
			}
			sameSpans(t, sent, readOTLPJSONLines(t, filepath.Join(out, "spans.jsonl")))
		})
	}
}

// sameSpans checks that every span of want is in got unchanged: name,
// parent, attributes and status.
func sameSpans(t *testing.T, want, got ptrace.Traces) {
	t.Helper()
	byID := map[string]ptrace.Span{}
	eachSpan(got, func(sp ptrace.Span) { byID[sp.SpanID().String()] = sp })
	n := 0
	eachSpan(want, func(w ptrace.Span) {
		n++
		g, ok := byID[w.SpanID().String()]
		if !ok {
			t.Errorf("span %s %q not exported", w.SpanID(), w.Name())
			return
		}
		if g.Name() != w.Name() || g.ParentSpanID() != w.ParentSpanID() || g.TraceID() != w.TraceID() ||
			g.Status().Code() != w.Status().Code() || !reflect.DeepEqual(g.Attributes().AsRaw(), w.Attributes().AsRaw()) {
			t.Errorf("span %s changed on its way to the file exporter:\n got %q %v\nwant %q %v", w.SpanID(), g.Name(), g.Attributes().AsRaw(), w.Name(), w.Attributes().AsRaw())
		}
	})
	if n == 0 {
		t.Error("the child sent no span")
	}
}

func eachSpan(td ptrace.Traces, fn func(ptrace.Span)) {
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			for k := 0; k < sss.At(j).Spans().Len(); k++ {
				fn(sss.At(j).Spans().At(k))
			}
		}
	}
}

func readOTLPJSON(t *testing.T, path string) ptrace.Traces {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return td
}

func readOTLPJSONLines(t *testing.T, path string) ptrace.Traces {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	all := ptrace.NewTraces()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(sc.Bytes())
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		td.ResourceSpans().MoveAndAppendTo(all.ResourceSpans())
	}
	return all
}

// TestAgentOpsExportOfAStoredSession: `agentops export -e agentops` of a
// session that was not sent to AgentOps when it ran redoes its counting
// from the store, so AgentOps shows the summary's numbers then too.
func TestAgentOpsExportOfAStoredSession(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	store := t.TempDir()
	env := append(append([]string{}, cleanEnv...), "AGENTOPS_STORE="+store, childEnvVar+"=aoconvention",
		"AGENTOPS_E2E_CONVENTION=wrapper", "AGENTOPS_E2E_SENT="+filepath.Join(t.TempDir(), "sent.json"), "AGENTOPS_E2E_EXIT=0")
	res := runAgentops(t, env, nil, self)
	if res.exitCode != 0 {
		t.Fatalf("run: exit %d\n%s", res.exitCode, res.stderr)
	}
	standIn := &agentopsstandin.Server{Key: aoKey}
	srv := httptest.NewServer(standIn)
	defer srv.Close()
	cmd := exec.Command(agentopsBin, "export", "last", "-e", "agentops")
	cmd.Env = append(append(os.Environ(), cleanEnv...), "AGENTOPS_STORE="+store,
		"AGENTOPS_API_KEY="+aoKey, "AGENTOPS_API_ENDPOINT="+srv.URL, "AGENTOPS_EXPORTER_ENDPOINT="+srv.URL+"/v1/traces")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	tot := res.session.Totals
	sums := standIn.Sums(nil)
	if len(sums) != 1 {
		t.Fatalf("AgentOps got %d traces", len(sums))
	}
	got := sums[0]
	t.Logf("exported later: AgentOps %d prompt / %d completion tokens, $%.9f; summary %d / %d, $%.9f",
		got.PromptTokens, got.CompletionTokens, got.Cost, tot.InputTokens, tot.OutputTokens, tot.CostUSD)
	if got.PromptTokens != tot.InputTokens || got.CompletionTokens != tot.OutputTokens || math.Abs(got.Cost-tot.CostUSD) > 1e-12 ||
		got.Title != filepath.Base(self)+".session" || got.TitleStatus != ptrace.StatusCodeOk {
		t.Errorf("AgentOps shows %+v; the summary %+v", got, tot)
	}
}
