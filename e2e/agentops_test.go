package e2e

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// agentOpsBackend stands in for AgentOps' two endpoints on loopback: the
// API key → JWT exchange and the OTLP/HTTP traces endpoint. Its first
// traces request is refused with 401, as for an expired JWT.
type agentOpsBackend struct {
	t   *testing.T
	key string

	mu       sync.Mutex
	tokens   int
	auths    []string
	spans    []span
	rejected bool
}

func (b *agentOpsBackend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch r.URL.Path {
	case "/v3/auth/token":
		var req struct {
			APIKey string `json:"api_key"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.APIKey != b.key {
			http.Error(w, "bad key", http.StatusUnauthorized)
			return
		}
		b.tokens++
		_ = json.NewEncoder(w).Encode(map[string]string{"token": "jwt-" + strings.Repeat("x", b.tokens), "project_id": "p1"})
	case "/v1/traces":
		auth := r.Header.Get("Authorization")
		b.auths = append(b.auths, auth)
		if !b.rejected {
			b.rejected = true
			http.Error(w, "jwt expired", http.StatusUnauthorized)
			return
		}
		if auth != "Bearer jwt-"+strings.Repeat("x", b.tokens) {
			http.Error(w, "wrong jwt", http.StatusUnauthorized)
			return
		}
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = zr
		}
		raw, _ := io.ReadAll(body)
		req := ptraceotlp.NewExportRequest()
		if err := req.UnmarshalProto(raw); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		td := ptrace.NewTraces()
		req.Traces().CopyTo(td)
		b.spans = append(b.spans, flatten(td)...)
		w.Header().Set("Content-Type", "application/x-protobuf")
	default:
		http.NotFound(w, r)
	}
}

func TestAgentOpsByDefaultWithKey(t *testing.T) {
	const key = "5a1e6c1e-0000-4000-8000-supersecretkey"
	backend := &agentOpsBackend{t: t, key: key}
	srv := httptest.NewServer(backend)
	defer srv.Close()
	store := t.TempDir()
	env := append(append([]string{}, cleanEnv...),
		"AGENTOPS_STORE="+store,
		"AGENTOPS_API_KEY="+key,
		"AGENTOPS_API_ENDPOINT="+srv.URL,
		"AGENTOPS_EXPORTER_ENDPOINT="+srv.URL+"/v1/traces",
		"AGENTOPS_APP_URL=https://app.example",
	)
	jsonDir := t.TempDir()
	res := runAgentops(t, env, []string{"--tag", "nightly", "-e", "file=" + filepath.Join(jsonDir, "spans.jsonl")}, testAgentChild(0)...)
	if res.exitCode != 0 {
		t.Fatalf("exit %d\n%s", res.exitCode, res.stderr)
	}
	s := res.session
	e := export(t, s, "agentops", "")
	if e.Sent != 5 || e.Failed != 0 || e.Source != "AGENTOPS_API_KEY" {
		t.Errorf("agentops export %+v, want 5 sent, on because of AGENTOPS_API_KEY", e)
	}
	backend.mu.Lock()
	auths, tokens, got := backend.auths, backend.tokens, backend.spans
	backend.mu.Unlock()
	// The pipeline sends with several requests at once: the first ones
	// carry jwt-x, and after one refresh the rest carry jwt-xx.
	if tokens != 2 || len(auths) < 2 || auths[0] != "Bearer jwt-x" || auths[len(auths)-1] != "Bearer jwt-xx" {
		t.Errorf("token exchanges %d, Authorization headers %q: want jwt-x refused, then jwt-xx after a refresh", tokens, auths)
	}
	if len(got) != 5 {
		t.Errorf("AgentOps got %d spans, want 5", len(got))
	}
	want := "https://app.example/sessions?trace_id=" + s.TraceID
	if s.ReplayURL != want || !strings.Contains(res.stderr, want) {
		t.Errorf("replay link %q (summary:\n%s), want %q", s.ReplayURL, res.stderr, want)
	}
	// The session span carries what the AgentOps backend reads.
	file := readSpanFileAttrs(t, filepath.Join(jsonDir, "spans.jsonl"), s.RootSpanID)
	if file["agentops.span.kind"] != "session" || file["agentops.session.end_state"] != "Success" || !strings.Contains(file["agentops.tags"], "nightly") {
		t.Errorf("session span attributes = %v", file)
	}
	// The key appears nowhere: not in output, not in the record, not in the store.
	for where, text := range map[string]string{"stdout": res.stdout, "stderr": res.stderr} {
		if strings.Contains(text, key) {
			t.Errorf("API key printed on %s", where)
		}
	}
	for _, dir := range []string{store, jsonDir, filepath.Dir(jsonDir)} {
		_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			if b, _ := os.ReadFile(path); strings.Contains(string(b), key) {
				t.Errorf("API key stored in %s", path)
			}
			return nil
		})
	}
}

// readSpanFileAttrs returns the attributes of one span of an OTLP JSON
// lines file, values rendered as strings.
func readSpanFileAttrs(t *testing.T, path, spanID string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces([]byte(line))
		if err != nil {
			t.Fatal(err)
		}
		rss := td.ResourceSpans()
		for i := 0; i < rss.Len(); i++ {
			sss := rss.At(i).ScopeSpans()
			for j := 0; j < sss.Len(); j++ {
				ss := sss.At(j).Spans()
				for k := 0; k < ss.Len(); k++ {
					if ss.At(k).SpanID().String() == spanID {
						for key, v := range ss.At(k).Attributes().All() {
							out[key] = v.AsString()
						}
					}
				}
			}
		}
	}
	return out
}
