// Package agentopsstandin stands in for the AgentOps backend on loopback in
// tests: the API's key exchange (POST /v3/auth/token) and log upload (POST
// /v4/logs/upload/), and the collector's OTLP/HTTP traces endpoint. It adds
// up what it receives as the backend does (see Sum), so a test can compare
// what AgentOps would show with the session's summary.
//
// It follows the open-sourced backend (AgentOps-AI/agentops, app/):
// routes/v3.py for the key exchange, routes/v4/logs.py for the log upload,
// models/traces.py and models/span_metrics.py for the sums.
package agentopsstandin

import (
	"compress/gzip"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/google/uuid"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// Request is one request the stand-in served.
type Request struct {
	Method, Path  string
	Authorization string
	TraceIDHeader string
	Status        int
}

// Server is the stand-in; serve it with httptest.NewServer. Its zero value
// accepts no key: set Key.
type Server struct {
	// Key is the API key it accepts; the backend answers 400 to a key that
	// is not a UUID and 403 to an unknown one.
	Key string
	// ProjectID is returned by the key exchange; empty means "proj-standin".
	ProjectID string
	// RejectFirstTraces refuses the first traces request with 401, as the
	// backend does for a JWT it no longer accepts.
	RejectFirstTraces bool

	mu       sync.Mutex
	jwts     []string
	traces   ptrace.Traces
	logs     map[string]string
	requests []Request
	rejected bool
}

// ServeHTTP serves the three endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req := Request{Method: r.Method, Path: r.URL.Path, Authorization: r.Header.Get("Authorization"), TraceIDHeader: r.Header.Get("Trace-Id")}
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v3/auth/token":
		s.token(rec, r)
	case r.Method == http.MethodPost && r.URL.Path == "/v1/traces":
		s.exportTraces(rec, r)
	case r.Method == http.MethodPost && r.URL.Path == "/v4/logs/upload/":
		s.uploadLogs(rec, r)
	default:
		http.NotFound(rec, r)
	}
	req.Status = rec.status
	s.requests = append(s.requests, req)
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	var body struct {
		APIKey string `json:"api_key"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil {
		jsonError(w, http.StatusBadRequest, "Invalid request")
		return
	}
	if _, err := uuid.Parse(body.APIKey); err != nil {
		jsonError(w, http.StatusBadRequest, "Invalid API key format")
		return
	}
	if s.Key == "" || body.APIKey != s.Key {
		jsonError(w, http.StatusForbidden, "Invalid API key")
		return
	}
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	// Shaped as the backend's HS256 JWT, so leak checks can look for it.
	jwt := "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.standin" + hex.EncodeToString(b[:12]) + "." + hex.EncodeToString(b[12:])
	s.jwts = append(s.jwts, jwt)
	project := s.ProjectID
	if project == "" {
		project = "proj-standin"
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"token": jwt, "project_id": project, "project_prem_status": "free"})
}

// authorized checks the Bearer JWT as the collector's jwtauthextension
// and the API's dependency do: one the exchange handed out.
func (s *Server) authorized(r *http.Request) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return false
	}
	for _, j := range s.jwts {
		if j == got {
			return true
		}
	}
	return false
}

func (s *Server) exportTraces(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(r) || (s.RejectFirstTraces && !s.rejected) {
		s.rejected = true
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
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
	raw, err := io.ReadAll(io.LimitReader(body, 64<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	er := ptraceotlp.NewExportRequest()
	if ct := r.Header.Get("Content-Type"); ct != "application/x-protobuf" {
		http.Error(w, "unsupported content type "+ct, http.StatusUnsupportedMediaType)
		return
	}
	if err := er.UnmarshalProto(raw); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if s.traces == (ptrace.Traces{}) {
		s.traces = ptrace.NewTraces()
	}
	er.Traces().ResourceSpans().MoveAndAppendTo(s.traces.ResourceSpans())
	out, _ := ptraceotlp.NewExportResponse().MarshalProto()
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

func (s *Server) uploadLogs(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(r) {
		jsonError(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	traceID := r.Header.Get("Trace-Id")
	if traceID == "" {
		jsonError(w, http.StatusBadRequest, "Trace-Id header required")
		return
	}
	var body struct {
		Body string `json:"body"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<20)).Decode(&body); err != nil {
		jsonError(w, http.StatusBadRequest, "Invalid body")
		return
	}
	if s.logs == nil {
		s.logs = map[string]string{}
	}
	s.logs[traceID] = body.Body
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"message": "Upload successful"})
}

// JWTs are the tokens the key exchange handed out, in order.
func (s *Server) JWTs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.jwts...)
}

// Requests are the requests served, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Logs are the uploaded logs by Trace-Id header (a decimal trace id).
func (s *Server) Logs() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]string, len(s.logs))
	for k, v := range s.logs {
		out[k] = v
	}
	return out
}

// Traces is a copy of every span received.
func (s *Server) Traces() ptrace.Traces {
	s.mu.Lock()
	defer s.mu.Unlock()
	td := ptrace.NewTraces()
	if s.traces != (ptrace.Traces{}) {
		s.traces.CopyTo(td)
	}
	return td
}

func jsonError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}
