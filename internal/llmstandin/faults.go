package llmstandin

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"
)

// Faults: the stand-in misbehaving as providers and networks do, chosen
// per request by the model it asks for, so that a client in another
// process can ask for one with its ordinary model setting.
const (
	// FaultRateLimit answers 429 with the provider's rate-limit error
	// body and Retry-After: 1.
	FaultRateLimit = "fault-429"
	// FaultServerError answers 500 with the provider's error body.
	FaultServerError = "fault-500"
	// FaultCut cuts the connection in the middle of the answer: after
	// Faults.CutAfter events of a stream, or half-way through a body.
	FaultCut = "fault-cut"
	// FaultSlow sends the first Faults.CutAfter events of a stream at
	// once, then pauses Faults.SlowPause before each further one (before
	// the body of an answer that does not stream), or until the client
	// goes away.
	FaultSlow = "fault-slow"
	// FaultHuge answers with Faults.HugeBytes of text.
	FaultHuge = "fault-huge"
)

// Faults configures the fault modes; the zero value takes the defaults.
type Faults struct {
	// CutAfter is the number of events a cut stream sends; 0 means 2.
	CutAfter int
	// SlowPause is the pause before each slow event; 0 means 50ms. A
	// test that needs a stream in flight until its client leaves sets an
	// hour.
	SlowPause time.Duration
	// HugeBytes is the size of a huge answer's text; 0 means 8 MiB.
	HugeBytes int
}

// NewFaulty returns a stand-in answering as cfg says, and the handler to
// serve it through, which gives the requests for a fault model (see the
// Fault constants) their fault. A model that names no fault is answered
// normally.
func NewFaulty(cfg Config, f Faults) (*Server, http.Handler) {
	if f.CutAfter == 0 {
		f.CutAfter = 2
	}
	if f.SlowPause == 0 {
		f.SlowPause = 50 * time.Millisecond
	}
	if f.HugeBytes == 0 {
		f.HugeBytes = 8 << 20
	}
	respond, replyFunc := cfg.Respond, cfg.ReplyFunc
	cfg.Respond = func(r Request, resp *Response) {
		if respond != nil {
			respond(r, resp)
		}
		switch faultOf(r.Model) {
		case FaultRateLimit:
			*resp = errorResponse(r, http.StatusTooManyRequests, rateLimitKind(r), "Rate limit reached: the LLM stand-in's fault-429")
			resp.Header = http.Header{"Retry-After": {"1"}}
		case FaultServerError:
			*resp = errorResponse(r, http.StatusInternalServerError, serverErrorKind(r), "The server had an error: the LLM stand-in's fault-500")
		}
	}
	cfg.ReplyFunc = func(r Request) Reply {
		var reply Reply
		switch {
		case replyFunc != nil:
			reply = replyFunc(r)
		case cfg.Reply != nil:
			reply = *cfg.Reply
		default:
			reply = DefaultReplies[r.API.Provider()]
		}
		if faultOf(r.Model) == FaultHuge {
			reply.Text = strings.Repeat("huge ", f.HugeBytes/5)
		}
		return reply
	}
	s := New(cfg)
	return s, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch faultOf(requestModel(req)) {
		case FaultCut:
			w = &cutWriter{ResponseWriter: w, after: f.CutAfter}
		case FaultSlow:
			w = &slowWriter{ResponseWriter: w, pause: f.SlowPause, free: f.CutAfter, done: req.Context().Done()}
		}
		s.ServeHTTP(w, req)
	})
}

// faultOf is the fault a model names: the model itself, or its prefix
// before a colon ("fault-cut:gpt-4o").
func faultOf(model string) string {
	name, _, _ := strings.Cut(model, ":")
	switch name {
	case FaultRateLimit, FaultServerError, FaultCut, FaultSlow, FaultHuge:
		return name
	}
	return ""
}

// requestModel peeks at the model a request asks for (its JSON body's
// "model", or Gemini's path) and leaves the body as it was.
func requestModel(req *http.Request) string {
	if m := geminiModel(req.URL.Path); strings.Contains(req.URL.Path, "/models/") && m != "" {
		return m
	}
	body, _ := io.ReadAll(io.LimitReader(req.Body, 64<<20))
	req.Body = io.NopCloser(bytes.NewReader(body))
	var rb struct {
		Model string `json:"model"`
	}
	_ = json.Unmarshal(body, &rb)
	return rb.Model
}

func rateLimitKind(r Request) string {
	if r.API.Provider() == "openai" {
		return "requests"
	}
	return "rate_limit_error"
}

func serverErrorKind(r Request) string {
	if r.API.Provider() == "openai" {
		return "server_error"
	}
	return "api_error"
}

// cutWriter closes the connection, without ending the response, after
// `after` writes of a stream, or half-way through the first write of a
// body: the client's read fails as on a connection that broke.
type cutWriter struct {
	http.ResponseWriter
	after, writes int
}

func (c *cutWriter) Write(p []byte) (int, error) {
	stream := strings.HasPrefix(c.Header().Get("Content-Type"), "text/event-stream")
	if stream && c.writes < c.after {
		c.writes++
		return c.ResponseWriter.Write(p)
	}
	if !stream {
		_, _ = c.ResponseWriter.Write(p[:len(p)/2])
	}
	http.NewResponseController(c.ResponseWriter).Flush()
	if conn, _, err := http.NewResponseController(c.ResponseWriter).Hijack(); err == nil {
		_ = conn.Close()
	}
	return 0, io.ErrClosedPipe
}

func (c *cutWriter) Flush() { _ = http.NewResponseController(c.ResponseWriter).Flush() }

// slowWriter pauses before each write after the first free ones of a
// stream, as a slow model streams.
type slowWriter struct {
	http.ResponseWriter
	pause        time.Duration
	free, writes int
	done         <-chan struct{}
}

func (s *slowWriter) Write(p []byte) (int, error) {
	if strings.HasPrefix(s.Header().Get("Content-Type"), "text/event-stream") && s.writes < s.free {
		s.writes++
		return s.ResponseWriter.Write(p)
	}
	t := time.NewTimer(s.pause)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.done:
		return 0, io.ErrClosedPipe
	}
	return s.ResponseWriter.Write(p)
}

func (s *slowWriter) Flush() { _ = http.NewResponseController(s.ResponseWriter).Flush() }
