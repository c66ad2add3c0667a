package pricing

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentops-dev/agentops/events"
)

// feedWith is the embedded feed with gpt-5.2's input price changed to
// inputMTok, and extra set on the first provider when given (a field the
// schema does not allow).
func feedWith(t *testing.T, inputMTok float64, extra map[string]any) []byte {
	t.Helper()
	var providers []map[string]any
	if err := json.Unmarshal(embedded, &providers); err != nil {
		t.Fatal(err)
	}
	for _, p := range providers {
		if p["id"] != "openai" {
			continue
		}
		for _, m := range p["models"].([]any) {
			if mm := m.(map[string]any); mm["id"] == "gpt-5.2" {
				mm["prices"].(map[string]any)["input_mtok"] = inputMTok
			}
		}
	}
	for k, v := range extra {
		providers[0][k] = v
	}
	b, err := json.Marshal(providers)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func serve(t *testing.T, body []byte) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

var fetchTime = time.Date(2026, 12, 1, 10, 15, 0, 0, time.UTC)

func gpt52Input(t *testing.T, tbl *Table) float64 {
	t.Helper()
	usd, ok := tbl.Price(events.LLM{RequestModel: "gpt-5.2", InputTokens: 1_000_000, Time: day})
	if !ok {
		t.Fatal("gpt-5.2 unpriced")
	}
	return usd
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestUpdateGoodFeed(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "prices")
	srv := serve(t, feedWith(t, 99, nil))
	got, err := Update(context.Background(), UpdateOptions{URL: srv.URL + "/data.json", Dir: dir, Now: func() time.Time { return fetchTime }})
	if err != nil {
		t.Fatal(err)
	}
	if got.Providers != 36 || got.Models != 1309 || filepath.Dir(got.Path) != dir {
		t.Errorf("Update = %+v", got)
	}
	tbl := Newest(dir)
	if src := tbl.Source(); src != "genai-prices 2026-12-01 10:15Z update" {
		t.Errorf("Source before use = %q", src)
	}
	if usd := gpt52Input(t, tbl); math.Abs(usd-99) > 1e-9 {
		t.Errorf("gpt-5.2 costs %v a million input tokens; want the update's 99", usd)
	}
	if src := tbl.Source(); src != "genai-prices 2026-12-01 10:15Z update" {
		t.Errorf("Source = %q", src)
	}

	// A second update replaces the first, and only then.
	srv2 := serve(t, feedWith(t, 42, nil))
	if _, err := Update(context.Background(), UpdateOptions{URL: srv2.URL, Dir: dir, Now: func() time.Time { return fetchTime.Add(time.Hour) }}); err != nil {
		t.Fatal(err)
	}
	if usd := gpt52Input(t, Newest(dir)); math.Abs(usd-42) > 1e-9 {
		t.Errorf("after a second update gpt-5.2 costs %v; want 42", usd)
	}
	if names := listDir(t, dir); len(names) != 1 || names[0] != "genai-prices-20261201T111500Z.json" {
		t.Errorf("the update directory holds %v; want the newest table only", names)
	}
}

// TestUpdateFailuresKeepTheTable: whatever goes wrong, the table in use
// stays, and the error says what happened.
func TestUpdateFailuresKeepTheTable(t *testing.T) {
	downURL := "http://" + refusingAddr(t) + "/data.json"

	// A server that never answers, and one that stops halfway: both wait
	// for the client to give up (no sleeps).
	stop := make(chan struct{})
	defer close(stop)
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	defer silent.Close()
	feed := feedWith(t, 7, nil)
	stalling := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(feed[:len(feed)/2])
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	defer stalling.Close()
	missing := httptest.NewServer(http.NotFoundHandler())
	defer missing.Close()

	// Only the servers that never finish get a short timeout: the
	// others must fail for their own reason however loaded the machine.
	const short = 300 * time.Millisecond
	tests := []struct {
		name, url string
		timeout   time.Duration
		want      error
		says      string
	}{
		{"fails the schema", serve(t, feedWith(t, 7, map[string]any{"surprise": true})).URL, 0, ErrInvalidFeed, "schema"},
		{"schema-valid but a bad regex", serve(t, feedWith(t, 7, map[string]any{"api_pattern": "("})).URL, 0, ErrInvalidFeed, "api_pattern"},
		{"not JSON", serve(t, []byte("<html>captive portal</html>")).URL, 0, ErrInvalidFeed, "not JSON"},
		{"server down", downURL, 0, ErrUnreachable, "refused"},
		{"slow server", silent.URL, short, ErrUnreachable, "no answer from " + silent.URL + " within"},
		{"stalls halfway", stalling.URL, short, ErrUnreachable, "did not finish sending"},
		{"not found", missing.URL, 0, ErrUnreachable, "404"},
	}
	// The table in use before each failed update: one fetched earlier.
	fetched := t.TempDir()
	good, err := Update(context.Background(), UpdateOptions{URL: serve(t, feedWith(t, 99, nil)).URL, Dir: fetched, Now: func() time.Time { return fetchTime }})
	if err != nil {
		t.Fatal(err)
	}
	kept, err := os.ReadFile(good.Path)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, filepath.Base(good.Path)), kept, 0o644); err != nil {
				t.Fatal(err)
			}
			before := listDir(t, dir)
			_, err := Update(context.Background(), UpdateOptions{URL: tt.url, Dir: dir, Timeout: tt.timeout,
				Now: func() time.Time { return fetchTime.Add(time.Hour) }})
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("Update = %v; want %v saying %q", err, tt.want, tt.says)
			}
			if after := listDir(t, dir); strings.Join(after, ",") != strings.Join(before, ",") {
				t.Errorf("a failed update changed the directory: %v → %v", before, after)
			}
			if usd := gpt52Input(t, Newest(dir)); math.Abs(usd-99) > 1e-9 {
				t.Errorf("after a failed update gpt-5.2 costs %v; want the kept table's 99", usd)
			}
		})
	}
}

func TestNewestSkipsWhatItCannotUse(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Older than the built-in table: not used.
	write("genai-prices-20250101T000000Z.json", feedWith(t, 1, nil))
	if src := Newest(dir).Source(); src != builtinSource {
		t.Errorf("Source = %q; an update older than the built-in table must not be used", src)
	}
	if usd := gpt52Input(t, Newest(dir)); math.Abs(usd-1.75) > 1e-9 {
		t.Errorf("gpt-5.2 costs %v; want the built-in 1.75", usd)
	}
	// A valid update, and a newer one that is damaged: the valid one, named.
	write("genai-prices-20261101T000000Z.json", feedWith(t, 5, nil))
	write("genai-prices-20261201T000000Z.json", []byte(`[{"id": "broken"`))
	tbl := Newest(dir)
	if usd := gpt52Input(t, tbl); math.Abs(usd-5) > 1e-9 {
		t.Errorf("gpt-5.2 costs %v; want the valid update's 5", usd)
	}
	if src := tbl.Source(); src != "genai-prices 2026-11-01 00:00Z update" {
		t.Errorf("Source = %q", src)
	}
	// Nothing valid: the built-in table, and the source says why.
	os.Remove(filepath.Join(dir, "genai-prices-20261101T000000Z.json"))
	tbl = Newest(dir)
	if usd := gpt52Input(t, tbl); math.Abs(usd-1.75) > 1e-9 {
		t.Errorf("gpt-5.2 costs %v; want the built-in 1.75", usd)
	}
	if src := tbl.Source(); !strings.HasPrefix(src, builtinSource+" (") || !strings.Contains(src, "unreadable") {
		t.Errorf("Source = %q; want the built-in table and why the update was not used", src)
	}
}

func TestFeedSchemasAcceptTheFeeds(t *testing.T) {
	if err := validateFeed(embedded); err != nil {
		t.Errorf("slim feed: %v", err)
	}
	// The full feed's extra fields (descriptions, pricing URLs) pass the
	// full schema.
	var providers []map[string]any
	if err := json.Unmarshal(embedded, &providers); err != nil {
		t.Fatal(err)
	}
	providers[0]["description"] = "a provider"
	providers[0]["pricing_urls"] = []string{"https://example.com/pricing"}
	b, _ := json.Marshal(providers)
	if err := validateFeed(b); err != nil {
		t.Errorf("full feed: %v", err)
	}
	// A price key newer than ours passes the schema and is not charged;
	// in a user's own file it is taken for a typo.
	newer := bytes.Replace(b, []byte(`"input_mtok"`), []byte(`"input_hologram_mtok"`), 1)
	if err := validateFeed(newer); err != nil {
		t.Errorf("a feed with a new price key: %v", err)
	}
	if _, err := decodeFeed(newer); err != nil {
		t.Errorf("decode a feed with a new price key: %v", err)
	}
	if _, err := Load(bytes.NewReader(newer)); !errors.Is(err, ErrBadTable) || !strings.Contains(err.Error(), "input_hologram_mtok") {
		t.Errorf("Load of a file with an unknown price key = %v; want ErrBadTable naming it", err)
	}
}
