package prices

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentops-dev/agentops/cmd/exitcode"
	"github.com/agentops-dev/agentops/iostreams"
)

func testIO() (*iostreams.IOStreams, *bytes.Buffer) {
	var out bytes.Buffer
	return &iostreams.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &out}, &out
}

func TestFlags(t *testing.T) {
	io, _ := testIO()
	var got *Options
	c := NewCmdPrices(io, func(o *Options) error { got = o; return nil })
	c.SetArgs([]string{"claude-sonnet-4-6", "--provider", "anthropic", "--server", "api.anthropic.com", "--at", "2026-03-01", "--json"})
	if err := c.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Model != "claude-sonnet-4-6" || got.Provider != "anthropic" || got.Server != "api.anthropic.com" || !got.JSON ||
		!got.At.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("options = %+v", got)
	}
	for _, args := range [][]string{{"--provider", "openai"}, {"m", "--at", "yesterday"}, {"a", "b"}} {
		c := NewCmdPrices(io, func(*Options) error { return nil })
		c.SetArgs(args)
		c.SilenceErrors, c.SilenceUsage = true, true
		if err := c.Execute(); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	var up *UpdateOptions
	u := NewCmdUpdate(io, func(o *UpdateOptions) error { up = o; return nil })
	u.SetArgs([]string{"--url", "http://127.0.0.1:1/f.json", "--timeout", "5s"})
	if err := u.Execute(); err != nil || up.URL != "http://127.0.0.1:1/f.json" || up.Timeout != 5*time.Second {
		t.Errorf("update options = %+v, %v", up, err)
	}
}

func env(dir string) func(string) string {
	return func(k string) string {
		if k == "AGENTOPS_STORE" {
			return dir
		}
		return ""
	}
}

var now = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func TestPricesRunModel(t *testing.T) {
	io, out := testIO()
	err := PricesRun(&Options{IO: io, Model: "claude-sonnet-4-6", At: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Getenv: env(t.TempDir()), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"claude-sonnet-4-6 → anthropic / claude-sonnet-4-6 (Anthropic)",
		"before 2026-03-13 (in force 2026-03-01 00:00Z)",
		"input              $3 / M tokens, $6 above 200,000 input tokens",
		"cache write 1 h    $6 / M tokens, $12 above 200,000 input tokens",
		"from 2026-03-13\n",
		"web searches       $10 / K searches",
		"table       genai-prices 2026-08-21",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	io, out = testIO()
	if err := PricesRun(&Options{IO: io, Model: "us.anthropic.claude-sonnet-4-5-20250929-v1:0", Provider: "aws.bedrock", JSON: true, Getenv: env(t.TempDir()), Now: func() time.Time { return now }}); err != nil {
		t.Fatal(err)
	}
	var m matchOut
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if m.Provider != "aws" || len(m.Prices) != 1 || !m.Prices[0].InForce || m.Prices[0].Rates["input_mtok"].Base != 3.3 {
		t.Errorf("JSON = %s", out)
	}
}

func TestPricesRunUnknownModel(t *testing.T) {
	io, _ := testIO()
	err := PricesRun(&Options{IO: io, Model: "my-garage-llama", Getenv: env(t.TempDir())})
	var exit *exitcode.Error
	if !errors.As(err, &exit) || exit.Code != 1 || !strings.Contains(err.Error(), "unpriced") {
		t.Errorf("PricesRun = %v; want exit 1 saying it is unpriced", err)
	}
}

func TestUpdateRun(t *testing.T) {
	feed, err := os.ReadFile(filepath.Join("..", "..", "pricing", "data", "genai-prices.json"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(feed) }))
	defer srv.Close()
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`[{"id": 1}]`)) }))
	defer bad.Close()
	state := t.TempDir()
	io, out := testIO()
	if err := UpdateRun(nil, &UpdateOptions{IO: io, URL: srv.URL, Timeout: time.Minute, Getenv: env(state), Now: func() time.Time { return now }}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "later runs price with genai-prices 2026-12-01 10:00Z update") {
		t.Errorf("update said:\n%s", out)
	}
	err = UpdateRun(nil, &UpdateOptions{IO: io, URL: bad.URL, Timeout: time.Minute, Getenv: env(state), Now: func() time.Time { return now.Add(time.Hour) }})
	if err == nil || !strings.Contains(err.Error(), "nothing changed: runs keep pricing with genai-prices 2026-12-01 10:00Z update") {
		t.Errorf("a bad feed: %v", err)
	}
	io, out = testIO()
	if err := PricesRun(&Options{IO: io, Getenv: env(state)}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "in use     genai-prices 2026-12-01 10:00Z update: 36 providers, 1309 models") ||
		!strings.Contains(out.String(), "commit 47df840a5ab10bbcffb8e5ac01b9899032245d1b") {
		t.Errorf("prices said:\n%s", out)
	}
}
