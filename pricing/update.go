package pricing

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// The feed's JSON schemas, of the same commit as the embedded table: the
// full feed's (what FeedURL serves) and the slim one's (what is embedded,
// and what a mirror may serve).
var (
	//go:embed data/genai-prices.full.schema.json
	fullSchema []byte
	//go:embed data/genai-prices.schema.json
	slimSchema []byte
)

// UpdateDir is the directory, in agentops' state directory root (the
// store's: see store.Root), that `agentops prices update` downloads to.
func UpdateDir(stateRoot string) string { return filepath.Join(stateRoot, "prices") }

// updateFile names a downloaded table by the time it was fetched, UTC, so
// the newest sorts last and a failed update never touches the others.
const updateLayout = "20060102T150405Z"

var updateName = lazyRegexp(`^genai-prices-(\d{8}T\d{6}Z)\.json$`)

// DefaultUpdateTimeout bounds a price table download.
const DefaultUpdateTimeout = 30 * time.Second

// maxFeedBytes bounds a download: the full feed is some 400 kB.
const maxFeedBytes = 64 << 20

// UpdateOptions says where Update downloads from and to.
type UpdateOptions struct {
	// URL is the feed's address; empty means FeedURL.
	URL string
	// Dir is where tables are kept (see UpdateDir).
	Dir string
	// Timeout bounds the whole download; zero means DefaultUpdateTimeout.
	Timeout time.Duration
	// Client does the request; nil means a plain http.Client.
	Client *http.Client
	// Now is the clock naming the new file; nil means time.Now.
	Now func() time.Time
}

// Updated describes a table Update installed.
type Updated struct {
	Path              string
	URL               string
	Fetched           time.Time
	Bytes             int
	Providers, Models int
}

// Sentinel errors of Update, for errors.Is.
var (
	// ErrUnreachable: the feed could not be fetched (offline, refused,
	// timed out, not HTTP 200).
	ErrUnreachable = errors.New("price feed unreachable")
	// ErrInvalidFeed: what was fetched is not a valid genai-prices feed.
	ErrInvalidFeed = errors.New("not a valid genai-prices feed")
)

// Update downloads the feed, checks it against the feed's JSON schema and
// decodes it as a price table, and only then writes it into opts.Dir as
// the newest table. On any failure nothing in opts.Dir changes. Older
// downloads are removed once the new one is in place.
func Update(ctx context.Context, opts UpdateOptions) (Updated, error) {
	url := opts.URL
	if url == "" {
		url = FeedURL
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultUpdateTimeout
	}
	client := opts.Client
	if client == nil {
		client = &http.Client{}
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	body, err := download(ctx, client, url, timeout)
	if err != nil {
		return Updated{}, err
	}
	if err := validateFeed(body); err != nil {
		return Updated{}, fmt.Errorf("%w: %s: %v", ErrInvalidFeed, url, err)
	}
	f, err := decodeFeed(body)
	if err != nil {
		return Updated{}, fmt.Errorf("%w: %s: %v", ErrInvalidFeed, url, err)
	}
	fetched := now().UTC().Truncate(time.Second)
	path := filepath.Join(opts.Dir, "genai-prices-"+fetched.Format(updateLayout)+".json")
	if err := writeAtomic(path, body); err != nil {
		return Updated{}, fmt.Errorf("keep the price table: %w", err)
	}
	removeOlder(opts.Dir, filepath.Base(path))
	return Updated{Path: path, URL: url, Fetched: fetched, Bytes: len(body), Providers: len(f.providers), Models: f.models}, nil
}

func download(ctx context.Context, client *http.Client, url string, timeout time.Duration) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("%w: no answer from %s within %s", ErrUnreachable, url, timeout)
		}
		return nil, fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: %s answered %s", ErrUnreachable, url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxFeedBytes+1))
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			return nil, fmt.Errorf("%w: %s did not finish sending within %s", ErrUnreachable, url, timeout)
		}
		return nil, fmt.Errorf("%w: read %s: %v", ErrUnreachable, url, err)
	}
	if len(body) > maxFeedBytes {
		return nil, fmt.Errorf("%w: %s sent more than %d MiB", ErrInvalidFeed, url, maxFeedBytes>>20)
	}
	return body, nil
}

var (
	schemasOnce sync.Once
	schemas     [2]*jsonSchema // full, slim
	schemasErr  error
)

func compileSchemas() {
	for i, src := range [][]byte{fullSchema, slimSchema} {
		if schemas[i], schemasErr = compileSchema(src); schemasErr != nil {
			return
		}
	}
}

// validateFeed checks body against the full feed's schema, else the slim
// feed's.
func validateFeed(body []byte) error {
	schemasOnce.Do(compileSchemas)
	if schemasErr != nil {
		return fmt.Errorf("compile the feed schema: %w", schemasErr) // tested; cannot happen
	}
	errFull := schemas[0].validate(body)
	if errFull == nil || schemas[1].validate(body) == nil {
		return nil
	}
	if strings.HasPrefix(errFull.Error(), "not JSON") {
		return errFull
	}
	return fmt.Errorf("fails the feed's schema: %s", firstLines(errFull.Error(), 4))
}

func firstLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = append(lines[:n], "...")
	}
	return strings.Join(lines, "; ")
}

// writeAtomic writes b to path through a temporary file in the same
// directory, so a reader sees the whole file or none.
func writeAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".download-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename, a no-op
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func removeOlder(dir, keep string) {
	for _, name := range updates(dir) {
		if name != keep {
			os.Remove(filepath.Join(dir, name))
		}
	}
}

// updates lists the downloaded tables in dir, newest first.
func updates(dir string) []string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range ents {
		if !e.IsDir() && updateName().MatchString(e.Name()) {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	slices.Reverse(names)
	return names
}

func fetchedAt(name string) time.Time {
	m := updateName().FindStringSubmatch(name)
	if m == nil {
		return time.Time{}
	}
	t, _ := time.Parse(updateLayout, m[1])
	return t
}

// builtinDate is when the embedded table was published.
var builtinDate, _ = time.Parse(time.DateOnly, TableDate)

// Newest returns the newest valid price table: the newest table
// downloaded into dir (see Update) that is newer than the embedded one
// and decodes, else the embedded one. Nothing is read before the table is
// first used but dir's listing, for Source.
func Newest(dir string) *Table {
	candidates := func() []string {
		var out []string
		for _, name := range updates(dir) {
			if fetchedAt(name).After(builtinDate) {
				out = append(out, name)
			}
		}
		return out
	}
	return &Table{
		load: func() (*feed, string) {
			note := ""
			for _, name := range candidates() {
				b, err := os.ReadFile(filepath.Join(dir, name))
				if err == nil {
					var f *feed
					if f, err = decodeFeed(b); err == nil {
						return f, updatedSource(name)
					}
				}
				note = fmt.Sprintf("%s unreadable: %v", filepath.Join(dir, name), err)
			}
			f, err := decodeFeed(embedded)
			if err != nil {
				panic("embedded price table: " + err.Error()) // tested; cannot happen
			}
			if note != "" {
				return f, builtinSource + " (" + note + ")"
			}
			return f, builtinSource
		},
		peek: func() string {
			if c := candidates(); len(c) > 0 {
				return updatedSource(c[0])
			}
			return builtinSource
		},
	}
}

func updatedSource(name string) string {
	return fmt.Sprintf("%s %s update", TableSource, fetchedAt(name).Format("2006-01-02 15:04Z"))
}

// Download is a table `agentops prices update` fetched.
type Download struct {
	Path    string
	Fetched time.Time
}

// Downloads lists the tables fetched into dir, newest first.
func Downloads(dir string) []Download {
	var out []Download
	for _, name := range updates(dir) {
		out = append(out, Download{Path: filepath.Join(dir, name), Fetched: fetchedAt(name)})
	}
	return out
}
