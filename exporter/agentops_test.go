package exporter

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

const testKey = "0b5c1e9a-5f2b-4a4e-9a43-secret-key-1234"

// agentOpsStandIn serves the two AgentOps endpoints: the key→JWT exchange
// and OTLP/HTTP traces. It hands out jwt-1, jwt-2, ... and rejects the
// first traces request with 401, as the backend does for an expired JWT.
type agentOpsStandIn struct {
	t *testing.T

	mu         sync.Mutex
	tokens     int
	keys       []string
	auths      []string
	spans      int
	rejectNext bool
}

func (s *agentOpsStandIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.URL.Path {
	case "/v3/auth/token":
		var body struct {
			APIKey string `json:"api_key"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		s.keys = append(s.keys, body.APIKey)
		if body.APIKey != testKey {
			// Echo the key, as a careless server might: we must not print it.
			http.Error(w, "invalid api key "+body.APIKey, http.StatusUnauthorized)
			return
		}
		s.tokens++
		_ = json.NewEncoder(w).Encode(map[string]string{"token": "jwt-" + string(rune('0'+s.tokens)), "project_id": "proj-42"})
	case "/v1/traces":
		s.auths = append(s.auths, r.Header.Get("Authorization"))
		if s.rejectNext {
			s.rejectNext = false
			http.Error(w, "token expired", http.StatusUnauthorized)
			return
		}
		req := decodeOTLP(s.t, r)
		s.spans += req.Traces().SpanCount()
		w.Header().Set("Content-Type", "application/x-protobuf")
	default:
		http.NotFound(w, r)
	}
}

func TestAgentOpsTokenBearerAndRefresh(t *testing.T) {
	standIn := &agentOpsStandIn{t: t, rejectNext: true}
	srv := httptest.NewServer(standIn)
	defer srv.Close()
	exp, err := NewAgentOps(context.Background(), "", Settings{
		Env: []string{"AGENTOPS_API_KEY=" + testKey, "AGENTOPS_API_ENDPOINT=" + srv.URL, "AGENTOPS_EXPORTER_ENDPOINT=" + srv.URL + "/v1/traces", "AGENTOPS_APP_URL=https://app.example"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := exp.ExportTraces(context.Background(), TracesFromSpans(sdkSpans(t, 3))); err != nil {
		t.Fatalf("first export: %v", err)
	}
	if err := exp.ExportTraces(context.Background(), TracesFromSpans(sdkSpans(t, 2))); err != nil {
		t.Fatalf("second export: %v", err)
	}
	_ = exp.Shutdown(context.Background())

	standIn.mu.Lock()
	defer standIn.mu.Unlock()
	// jwt-1 refused with 401 → jwt-2 fetched → same request resent → jwt-2 reused.
	wantAuths := []string{"Bearer jwt-1", "Bearer jwt-2", "Bearer jwt-2"}
	if strings.Join(standIn.auths, "|") != strings.Join(wantAuths, "|") {
		t.Errorf("Authorization headers = %q, want %q", standIn.auths, wantAuths)
	}
	if standIn.tokens != 2 || len(standIn.keys) != 2 || standIn.keys[0] != testKey {
		t.Errorf("token exchanges = %d with keys %q, want 2 with the API key", standIn.tokens, standIn.keys)
	}
	if standIn.spans != 5 {
		t.Errorf("spans delivered = %d, want 5", standIn.spans)
	}
	if exp.ProjectID() != "proj-42" {
		t.Errorf("project id = %q", exp.ProjectID())
	}
	if got, want := exp.ReplayURL("abc"), "https://app.example/sessions?trace_id=abc"; got != want {
		t.Errorf("replay URL = %q, want %q", got, want)
	}
}

func TestAgentOpsKeyNeverInErrors(t *testing.T) {
	standIn := &agentOpsStandIn{t: t}
	srv := httptest.NewServer(standIn)
	defer srv.Close()
	badKey := "bad-" + testKey
	exp, err := NewAgentOps(context.Background(), srv.URL+"/v1/traces", Settings{
		Env:   []string{"AGENTOPS_API_KEY=" + badKey},
		Retry: Retry{Disabled: true},
		// The flag wins over the environment.
		AgentOps: AgentOpsEndpoints{API: srv.URL},
	})
	if err != nil {
		t.Fatal(err)
	}
	err = exp.ExportTraces(context.Background(), TracesFromSpans(sdkSpans(t, 1)))
	if err == nil {
		t.Fatal("export with a refused key succeeded")
	}
	if strings.Contains(err.Error(), badKey) || !strings.Contains(err.Error(), "[REDACTED]") || !strings.Contains(err.Error(), "AGENTOPS_API_KEY") {
		t.Errorf("error leaks the key or does not say what to do: %v", err)
	}
}

func TestAgentOpsNeedsKey(t *testing.T) {
	if _, err := NewAgentOps(context.Background(), "", Settings{}); err != ErrNoAPIKey {
		t.Errorf("err = %v, want ErrNoAPIKey", err)
	}
}

// The SDKs' endpoints, pinned: a wrong default host (we had
// otlp.agentops.cloud, which the SDKs never used) means nothing arrives.
func TestAgentOpsDefaultEndpoints(t *testing.T) {
	exp, err := NewAgentOps(context.Background(), "", Settings{Env: []string{"AGENTOPS_API_KEY=" + testKey}})
	if err != nil {
		t.Fatal(err)
	}
	want := AgentOpsEndpoints{API: "https://api.agentops.ai", Exporter: "https://otlp.agentops.ai/v1/traces", App: "https://app.agentops.ai"}
	if exp.ep != want {
		t.Errorf("endpoints %+v, want %+v", exp.ep, want)
	}
	if got := exp.ReplayURL("0af7651916cd43dd8448eb211c80319c"); got != "https://app.agentops.ai/sessions?trace_id=0af7651916cd43dd8448eb211c80319c" {
		t.Errorf("replay URL %q", got)
	}
}
