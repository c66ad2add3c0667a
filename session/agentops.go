package session

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/agentops-dev/agentops/events"
	"github.com/agentops-dev/agentops/exporter"
)

// AgentOpsExport is the session's AgentOps exporter as the session sees
// it: it needs the session's final counting to send what AgentOps must
// receive (exporter.AgentOpsCopy), and it lets the child's own AgentOps
// SDK join the session.
type AgentOpsExport interface {
	// Counted hands over the session's counting once it is final, before
	// the session span ends.
	Counted(exporter.AgentOpsSession)
	// KeyMatches reports whether key is the API key the exporter sends with.
	KeyMatches(key string) bool
	// UploadLogs sends an SDK's log upload to AgentOps for traceID, with
	// the exporter's JWT, and returns AgentOps' answer.
	UploadLogs(ctx context.Context, traceID pcommon.TraceID, body []byte) (status int, answer []byte, err error)
}

// noteSpanUses makes the sink note what its counting made of every span,
// for the AgentOps copy. Call it before the session runs.
func (k *Sink) noteSpanUses() *events.SpanUses {
	u := &events.SpanUses{}
	k.window.Decided = u.Note
	return u
}

// maxLogUpload bounds the log upload the session forwards: the SDK sends
// the output it captured, in one JSON body.
const maxLogUpload = 32 << 20

// agentOpsStandIn answers the AgentOps SDK's API calls on the session's
// receiver, so that an SDK pointed there (AGENTOPS_API_ENDPOINT) joins
// the session: the key exchange hands out the receiver's token instead of
// a JWT (the SDK then sends its spans to the receiver with it, like any
// OTLP export), and the log upload goes on to AgentOps with the real JWT,
// for the session's trace, which the SDK's spans join in the AgentOps
// copy. Neither the API key nor the JWT ever reaches the child through it.
type agentOpsStandIn struct {
	relay AgentOpsExport
	uses  *events.SpanUses
	// token is the receiver's bearer token; empty with --no-auth.
	token string

	mu    sync.Mutex
	trace pcommon.TraceID
}

func (a *agentOpsStandIn) routes() map[string]http.Handler {
	upload := http.HandlerFunc(a.uploadLogs)
	return map[string]http.Handler{
		// agentops/client/api/versions/v3.py, v4.py: the SDK joins
		// endpoint and path as they are, so both spellings arrive.
		"POST /v3/auth/token":   http.HandlerFunc(a.exchange),
		"POST /v4/logs/upload/": upload,
		"POST /v4/logs/upload":  upload,
	}
}

func (a *agentOpsStandIn) setTrace(id pcommon.TraceID) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.trace = id
}

// counted hands the exporter the session's counting, now final.
func (a *agentOpsStandIn) counted(trace pcommon.TraceID, root pcommon.SpanID) {
	a.relay.Counted(exporter.AgentOpsSession{TraceID: trace, RootSpanID: root, Uses: a.uses})
}

// exchange answers POST /v3/auth/token as AgentOps does (routes/v3.py),
// for the key the session exports with only.
func (a *agentOpsStandIn) exchange(w http.ResponseWriter, r *http.Request) {
	var body struct {
		APIKey string `json:"api_key"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "Invalid request: send {\"api_key\": \"...\"}"})
		return
	}
	if !a.relay.KeyMatches(body.APIKey) {
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "Invalid API key: agentops run sends this session to AgentOps with its own AGENTOPS_API_KEY, and the child used another key"})
		return
	}
	token := a.token
	if token == "" {
		// --no-auth: the receiver takes any token.
		token = "agentops-session"
	}
	writeJSON(w, http.StatusOK, map[string]string{"token": token, "project_id": "agentops-session", "project_prem_status": ""})
}

// uploadLogs forwards POST /v4/logs/upload/ to AgentOps for the session's
// trace: the SDK names its own trace in the Trace-Id header, and that trace
// joins the session's in what AgentOps receives.
func (a *agentOpsStandIn) uploadLogs(w http.ResponseWriter, r *http.Request) {
	if a.token != "" && subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte("Bearer "+a.token)) != 1 {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "Unauthorized: use the token POST /v3/auth/token gave"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxLogUpload))
	if err != nil {
		status := http.StatusBadRequest
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			status = http.StatusRequestEntityTooLarge
		}
		writeJSON(w, status, map[string]string{"error": "read the log upload: " + err.Error()})
		return
	}
	a.mu.Lock()
	trace := a.trace
	a.mu.Unlock()
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	status, answer, err := a.relay.UploadLogs(ctx, trace, body)
	if err != nil {
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": err.Error()})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(answer)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// countedExporter is an exporter that sends only once the session's
// counting is final (exporter.AgentOps).
type countedExporter interface {
	Counted(exporter.AgentOpsSession)
}

// heldSender is the sending queue of a countedExporter, held (see
// exporter.Sender.Hold) until the session's counting is final: the AgentOps
// copy of a span depends on spans that arrive after it (a wrapper LLM span
// is one only once the call under it has arrived), and the window decides
// only when it retires a span, at the latest at the session's end. So
// AgentOps gets the session at its end, as the AgentOps SDK force-flushes
// at its trace's end; meanwhile its batches wait as any slow exporter's do
// (in memory, then in the journal or the spill file).
type heldSender struct {
	snd *exporter.Sender
	exp countedExporter
}

// AgentOpsExport is the pipeline's AgentOps exporter, for Options.AgentOps;
// nil when none runs. Its Counted releases the spans held for it.
func (p *Pipeline) AgentOpsExport() AgentOpsExport {
	if len(p.held) == 0 {
		return nil
	}
	e, ok := p.held[0].exp.(AgentOpsExport)
	if !ok {
		return nil
	}
	return heldExport{AgentOpsExport: e, held: p.held}
}

type heldExport struct {
	AgentOpsExport
	held []heldSender
}

func (h heldExport) Counted(s exporter.AgentOpsSession) {
	for _, hs := range h.held {
		hs.exp.Counted(s)
		hs.snd.Release()
	}
}
