package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunPricesCurrentModels: a session of current models is priced with
// the built-in genai-prices table's tier, cache and date rules. The costs
// are worked out by hand from the table's rates (USD per million tokens).
func TestRunPricesCurrentModels(t *testing.T) {
	env := []string{"AGENTOPS_STORE=" + t.TempDir()}
	res := runAgentops(t, env, []string{"--summary", "plain", "--no-store"}, testagentBin, "-llm", "0", "-tools", "0",
		// Sonnet 4.5 above its 200k tier: input 6, cache read 0.6, cache write 7.5, output 22.5, on all tokens.
		"-call", "provider=anthropic model=claude-sonnet-4-5 in=250000 cache_read=50000 cache_write=20000 out=2000",
		// Sonnet 4.6 was tiered until 2026-03-12 and is flat from 2026-03-13 on (3 / 15).
		"-call", "provider=anthropic model=claude-sonnet-4-6 in=300000 out=1000 at=2026-03-12T12:00:00Z",
		"-call", "provider=anthropic model=claude-sonnet-4-6 in=300000 out=1000",
		// gpt-5.2: input 1.75, cache read 0.175, output 14 (reasoning is output).
		"-call", "provider=openai model=gpt-5.2 in=10000 cache_read=4000 out=500 reasoning=200",
		// gemini-3.5-flash: input 1.5, cache read 0.15, output 9.
		"-call", "provider=gcp.gemini model=gemini-3.5-flash in=2000 cache_read=1000 out=300",
	)
	want := []float64{
		(180_000*6 + 50_000*0.6 + 20_000*7.5 + 2_000*22.5) / 1e6, // 1.305
		(300_000*6 + 1_000*22.5) / 1e6,                           // 1.8225
		(300_000*3 + 1_000*15) / 1e6,                             // 0.915
		(6_000*1.75 + 4_000*0.175 + 500*14) / 1e6,                // 0.0182
		(1_000*1.5 + 1_000*0.15 + 300*9) / 1e6,                   // 0.00435
	}
	var got []float64
	total := 0.0
	for _, e := range res.session.Events {
		if e.LLM == nil {
			continue
		}
		if e.LLM.CostUSD == nil {
			t.Fatalf("%s is unpriced", e.LLM.RequestModel)
		}
		got = append(got, *e.LLM.CostUSD)
	}
	if len(got) != len(want) {
		t.Fatalf("%d priced calls, want %d", len(got), len(want))
	}
	for i := range want {
		total += want[i]
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Errorf("call %d costs %v, want %v", i, got[i], want[i])
		}
	}
	if tot := res.session.Totals; math.Abs(tot.CostUSD-total) > 1e-9 || tot.UnpricedCalls != 0 {
		t.Errorf("totals: $%v with %d unpriced, want $%v", tot.CostUSD, tot.UnpricedCalls, total)
	}
	if res.session.Prices != "genai-prices 2026-08-21" || !strings.Contains(res.stderr, "$4.07 (prices: genai-prices 2026-08-21)") {
		t.Errorf("prices = %q; summary:\n%s", res.session.Prices, res.stderr)
	}
}

// agentopsEnv is agentops with env added to ours.
func agentopsEnv(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(agentopsBin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		code = exitErr.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return out.String(), errOut.String(), code
}

// TestPricesUpdateThenRun: `agentops prices update` fetches a feed from a
// loopback server; the next run prices with it and names it; a failed
// update changes nothing.
func TestPricesUpdateThenRun(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "pricing", "data", "genai-prices.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The feed as it might be tomorrow: gpt-5.2 at 2 a million input tokens.
	feed := bytes.Replace(b, []byte(`{"input_mtok":1.75,"cache_read_mtok":0.175,"output_mtok":14}`), []byte(`{"input_mtok":2,"cache_read_mtok":0.2,"output_mtok":16}`), 1)
	if bytes.Equal(feed, b) {
		t.Fatal("gpt-5.2's prices not found in the feed")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(feed) }))
	defer srv.Close()
	env := []string{"AGENTOPS_STORE=" + t.TempDir()}

	out, errOut, code := agentopsEnv(t, env, "prices", "update", "--url", srv.URL+"/data.json")
	if code != 0 || !strings.Contains(out, "36 providers, 1309 models") || !strings.Contains(out, "update") {
		t.Fatalf("prices update: exit %d\n%s%s", code, out, errOut)
	}
	call := []string{"-llm", "0", "-tools", "0", "-call", "provider=openai model=gpt-5.2 in=1000000 out=0"}
	res := runAgentops(t, env, []string{"--summary", "plain", "--no-store"}, append([]string{testagentBin}, call...)...)
	if tot := res.session.Totals; tot.LLMCalls != 1 || math.Abs(tot.CostUSD-2) > 1e-12 {
		t.Errorf("gpt-5.2 after the update: %d calls, $%v; want $2 for a million input tokens", tot.LLMCalls, tot.CostUSD)
	}
	if !strings.HasSuffix(res.session.Prices, " update") || !strings.Contains(res.stderr, "(prices: "+res.session.Prices+")") {
		t.Errorf("prices = %q; summary:\n%s", res.session.Prices, res.stderr)
	}

	// Offline: the update fails, says so, and the fetched table stays.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + l.Addr().String() + "/data.json"
	l.Close()
	_, errOut, code = agentopsEnv(t, env, "prices", "update", "--url", down)
	if code != 125 || !strings.Contains(errOut, "unreachable") || !strings.Contains(errOut, "nothing changed") {
		t.Errorf("offline update: exit %d, stderr:\n%s", code, errOut)
	}
	out, _, _ = agentopsEnv(t, env, "prices", "gpt-5.2")
	if !strings.Contains(out, "input              $2 / M tokens") || !strings.Contains(out, res.session.Prices) {
		t.Errorf("prices gpt-5.2 after a failed update:\n%s", out)
	}
	out, _, _ = agentopsEnv(t, env, "prices", "--json")
	var info struct {
		InUse   string `json:"in_use"`
		Updates []struct{ Path string }
	}
	if err := json.Unmarshal([]byte(out), &info); err != nil || info.InUse != res.session.Prices || len(info.Updates) != 1 {
		t.Errorf("prices --json = %s (%v)", out, err)
	}
}
