package llmstandin

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestFaults(t *testing.T) {
	s, h := NewFaulty(Config{}, Faults{HugeBytes: 1 << 20})
	srv := httptest.NewServer(h)
	defer srv.Close()
	post := func(path, body string) (*http.Response, string, error) {
		res, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			return nil, "", err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		return res, string(b), err
	}
	t.Run("429 and 500 in the provider's shape", func(t *testing.T) {
		for _, tt := range []struct{ path, model, want string }{
			{"/v1/chat/completions", FaultRateLimit, `"type":"requests"`},
			{"/v1/messages", FaultRateLimit, `"type":"rate_limit_error"`},
			{"/v1beta/models/" + FaultRateLimit + ":generateContent", "", `"status":"RESOURCE_EXHAUSTED"`},
			{"/v1/chat/completions", FaultServerError, `"type":"server_error"`},
		} {
			res, body, err := post(tt.path, `{"model":"`+tt.model+`"}`)
			if err != nil || !strings.Contains(body, tt.want) || res.StatusCode/100 != 4 && res.StatusCode != 500 {
				t.Errorf("%s %s: %v %v %s", tt.path, tt.model, res.StatusCode, err, body)
			}
		}
	})
	t.Run("cut stream", func(t *testing.T) {
		_, body, err := post("/v1/chat/completions", `{"model":"`+FaultCut+`","stream":true}`)
		if err == nil || strings.Count(body, "data: ") != 2 {
			t.Errorf("read %q, %v; want 2 events and an error", body, err)
		}
	})
	t.Run("cut body", func(t *testing.T) {
		_, body, err := post("/v1/messages", `{"model":"`+FaultCut+`"}`)
		if err == nil || body == "" {
			t.Errorf("read %q, %v; want half a body and an error", body, err)
		}
	})
	t.Run("slow stream ends when the client goes", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/v1/chat/completions", strings.NewReader(`{"model":"`+FaultSlow+`","stream":true}`))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 1)
		if _, err := res.Body.Read(buf); err != nil {
			t.Fatal(err)
		}
		cancel()
		res.Body.Close()
	})
	t.Run("huge", func(t *testing.T) {
		_, body, err := post("/v1/chat/completions", `{"model":"`+FaultHuge+`"}`)
		if err != nil || len(body) < 1<<20 {
			t.Errorf("read %d bytes, %v", len(body), err)
		}
	})
	if n := len(s.Requests()); n < 8 {
		t.Errorf("%d requests recorded", n)
	}
}
