package exporter

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// The AgentOps defaults, as the AgentOps Python SDK (agentops/config.py,
// AGENTOPS_API_ENDPOINT, AGENTOPS_EXPORTER_ENDPOINT, AGENTOPS_APP_URL) and
// the TypeScript SDK (src/tracing.ts) have them.
const (
	DefaultAgentOpsAPI      = "https://api.agentops.ai"
	DefaultAgentOpsExporter = "https://otlp.agentops.ai/v1/traces"
	DefaultAgentOpsApp      = "https://app.agentops.ai"
)

// AgentOpsEndpoints override the AgentOps endpoints; empty fields fall back
// to AGENTOPS_API_ENDPOINT, AGENTOPS_EXPORTER_ENDPOINT and AGENTOPS_APP_URL,
// then to the defaults.
type AgentOpsEndpoints struct {
	API      string
	Exporter string
	App      string
}

// ErrNoAPIKey is returned when the agentops exporter is asked for without
// AGENTOPS_API_KEY.
var ErrNoAPIKey = errors.New("AGENTOPS_API_KEY is not set: export your AgentOps API key (app.agentops.ai → Settings → API keys), or drop -e agentops")

func init() {
	Register("agentops", Factory{
		Remote: true,
		Usage:  "the AgentOps backend (needs AGENTOPS_API_KEY; URL overrides AGENTOPS_EXPORTER_ENDPOINT)",
		New: func(ctx context.Context, target string, s Settings) (Exporter, error) {
			return NewAgentOps(ctx, target, s)
		},
	})
}

// AgentOps exports to the AgentOps backend as its SDK does: the API key is
// exchanged for a JWT (POST {api}/v3/auth/token), spans go over OTLP/HTTP
// to the exporter endpoint with "Authorization: Bearer <jwt>", and a 401
// fetches a fresh JWT and sends the request once more. The key is held
// only in memory and never appears in an error.
type AgentOps struct {
	otlp *OTLP
	auth *agentOpsAuth
	app  string
	ep   AgentOpsEndpoints

	mu      sync.Mutex
	session *AgentOpsSession // set by Counted
}

// NewAgentOps builds the exporter. target, when set, replaces the exporter
// endpoint. No request is made until the first export.
func NewAgentOps(ctx context.Context, target string, s Settings) (*AgentOps, error) {
	env := envMap(s.Env)
	key := env["AGENTOPS_API_KEY"]
	if key == "" {
		return nil, ErrNoAPIKey
	}
	ep := s.AgentOps
	ep.API = firstNonEmpty(ep.API, env["AGENTOPS_API_ENDPOINT"], DefaultAgentOpsAPI)
	ep.Exporter = firstNonEmpty(target, ep.Exporter, env["AGENTOPS_EXPORTER_ENDPOINT"], DefaultAgentOpsExporter)
	ep.App = firstNonEmpty(ep.App, env["AGENTOPS_APP_URL"], DefaultAgentOpsApp)
	auth := &agentOpsAuth{key: key, tokenURL: strings.TrimRight(ep.API, "/") + "/v3/auth/token", client: &http.Client{Timeout: s.timeout()}}
	client := &http.Client{Transport: &bearerTransport{base: newTransport(), auth: auth}}
	u, err := httpURL(ep.Exporter, DefaultAgentOpsExporter)
	if err != nil {
		return nil, err
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/traces"
	}
	// --otlp-header values are meant for the user's own backends, not for
	// AgentOps: they are not sent here. AgentOps reads traces only.
	inner, err := NewOTLP(&SignalEndpoint{URL: u.String(), Compression: s.Compression, Timeout: s.timeout()}, nil, nil, client)
	if err != nil {
		return nil, err
	}
	return &AgentOps{otlp: inner, auth: auth, app: strings.TrimRight(ep.App, "/"), ep: ep}, nil
}

// ReplayURL is the AgentOps dashboard link of a trace, as the SDK prints it
// (agentops/helpers/dashboard.py).
func (a *AgentOps) ReplayURL(traceID string) string {
	return a.app + "/sessions?trace_id=" + traceID
}

// ProjectID is the AgentOps project the key belongs to, once a token was fetched.
func (a *AgentOps) ProjectID() string {
	a.auth.mu.Lock()
	defer a.auth.mu.Unlock()
	return a.auth.projectID
}

// agentOpsAuth holds the API key and the current JWT.
type agentOpsAuth struct {
	key      string
	tokenURL string
	client   *http.Client

	mu        sync.Mutex
	jwt       string
	projectID string
}

// token returns the current JWT, fetching one when there is none or when
// stale (the one the backend just refused) is still the current one.
func (a *agentOpsAuth) token(ctx context.Context, stale string) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.jwt != "" && a.jwt != stale {
		return a.jwt, nil
	}
	body, _ := json.Marshal(map[string]string{"api_key": a.key})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.tokenURL, bytes.NewReader(body))
	if err != nil {
		return "", a.redact(fmt.Errorf("AgentOps token request: %w", err))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		return "", a.redact(fmt.Errorf("AgentOps token exchange: %w (check AGENTOPS_API_ENDPOINT)", err))
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		err := a.redact(fmt.Errorf("AgentOps token exchange: %s: %s (check AGENTOPS_API_KEY)", resp.Status, strings.TrimSpace(string(b))))
		if resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
			// A refused key stays refused: no retry until the export timeout.
			err = Permanent(err)
		}
		return "", err
	}
	var tr struct {
		Token     string `json:"token"`
		ProjectID string `json:"project_id"`
	}
	if err := json.Unmarshal(b, &tr); err != nil || tr.Token == "" {
		return "", errors.New("AgentOps token exchange: no token in the response (check AGENTOPS_API_ENDPOINT)")
	}
	a.jwt, a.projectID = tr.Token, tr.ProjectID
	return a.jwt, nil
}

// redact removes the API key from an error message: a server that echoes
// the request must not make us print the key.
func (a *agentOpsAuth) redact(err error) error {
	if a.key == "" || !strings.Contains(err.Error(), a.key) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), a.key, "[REDACTED]"))
}

// bearerTransport adds the AgentOps JWT to every request and, on a 401,
// fetches a new JWT and retries the request once.
type bearerTransport struct {
	base http.RoundTripper
	auth *agentOpsAuth
}

func (t *bearerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		body, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
	}
	jwt, err := t.auth.token(req.Context(), "")
	if err != nil {
		return nil, err
	}
	resp, err := t.send(req, body, jwt)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if jwt, err = t.auth.token(req.Context(), jwt); err != nil {
		return nil, err
	}
	return t.send(req, body, jwt)
}

func (t *bearerTransport) send(req *http.Request, body []byte, jwt string) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	r.Header.Set("Authorization", "Bearer "+jwt)
	return t.base.RoundTrip(r)
}

func envMap(env []string) map[string]string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
