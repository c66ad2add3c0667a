package exporter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
	"time"
)

// ErrUnknown is returned by New for a name nobody registered.
var ErrUnknown = errors.New("unknown exporter")

// Spec is one `--exporter NAME[=TARGET]` value.
type Spec struct {
	Name   string
	Target string
}

// String renders the spec as the user wrote it, with any password in a URL
// target redacted.
func (s Spec) String() string {
	if s.Target == "" {
		return s.Name
	}
	return s.Name + "=" + RedactURL(s.Target)
}

// ParseSpec parses NAME[=TARGET].
func ParseSpec(v string) (Spec, error) {
	name, target, _ := strings.Cut(v, "=")
	name = strings.TrimSpace(name)
	if name == "" {
		return Spec{}, fmt.Errorf("empty exporter in %q: use NAME[=TARGET], one of %s", v, strings.Join(Names(), ", "))
	}
	return Spec{Name: name, Target: strings.TrimSpace(target)}, nil
}

// HeaderFlags turns Name=value pairs, as --otlp-header takes them, into
// the Settings.Headers map; names and values are trimmed.
func HeaderFlags(kvs []string) (map[string]string, error) {
	h := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("bad header %q: use Name=value, e.g. 'Authorization=Bearer TOKEN'", kv)
		}
		h[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return h, nil
}

// CheckCompression accepts the Settings.Compression values a user may give.
func CheckCompression(c string) error {
	switch c {
	case "gzip", "none":
		return nil
	}
	return fmt.Errorf("unknown compression %q: use gzip or none", c)
}

// Settings are what an exporter may need besides its target.
type Settings struct {
	// Headers are sent with every OTLP request.
	Headers map[string]string
	// Compression is "gzip" or "none"; empty means gzip for remote OTLP.
	Compression string
	// Timeout bounds one export, retries included; 0 means 10s.
	Timeout time.Duration
	// Protocol is "http/protobuf" (default) or "http/json" for OTLP/HTTP.
	Protocol string
	// Retry configures retries of retryable failures; the zero value means
	// DefaultRetry.
	Retry Retry
	// Env is the environment exporters read their own settings from (the
	// AgentOps key and endpoints); nil means none.
	Env []string
	// AgentOps overrides the AgentOps endpoints; empty fields fall back to Env.
	AgentOps AgentOpsEndpoints
	// Console is where the console exporter writes; nil means io.Discard.
	Console io.Writer
}

// Retry configures the exponential backoff of retryable export failures
// (HTTP 429, 502, 503, 504; gRPC UNAVAILABLE and friends). A Retry-After
// header or gRPC RetryInfo is honoured when it asks for a longer wait.
type Retry struct {
	Disabled        bool
	InitialInterval time.Duration
	MaxInterval     time.Duration
	MaxElapsedTime  time.Duration
}

// DefaultRetry is the retry policy of remote exporters: quick first retry,
// bounded by the export timeout anyway.
var DefaultRetry = Retry{InitialInterval: 500 * time.Millisecond, MaxInterval: 5 * time.Second, MaxElapsedTime: 30 * time.Second}

func (r Retry) orDefault() Retry {
	if r == (Retry{}) {
		return DefaultRetry
	}
	return r
}

func (s Settings) timeout() time.Duration {
	if s.Timeout <= 0 {
		return 10 * time.Second
	}
	return s.Timeout
}

// Factory builds one kind of exporter.
type Factory struct {
	// Remote exporters send the session off the machine: --sample-ratio
	// decides whether they receive it.
	Remote bool
	// Usage is one line for --help: what TARGET means.
	Usage string
	// New builds the exporter for target. An sdktrace.SpanExporter is
	// plugged in with FromSpanExporter.
	New func(ctx context.Context, target string, s Settings) (Exporter, error)
}

// registry maps exporter names to factories. It is filled by Register calls
// in this package's init functions and read-only afterwards.
var registry = map[string]Factory{}

// Register makes an exporter available under name. It panics on a
// duplicate name: that is a programming error.
func Register(name string, f Factory) {
	if _, dup := registry[name]; dup {
		panic("exporter: " + name + " registered twice")
	}
	registry[name] = f
}

// Names lists the registered exporter names, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Usage lists "name=TARGET: meaning" lines for help texts.
func Usage() []string {
	var lines []string
	for _, n := range Names() {
		lines = append(lines, n+": "+registry[n].Usage)
	}
	return lines
}

// IsRemote says whether the named exporter sends data off the machine.
func IsRemote(name string) bool { return registry[name].Remote }

// New builds the exporter spec names.
func New(ctx context.Context, spec Spec, s Settings) (Exporter, error) {
	f, ok := registry[spec.Name]
	if !ok {
		return nil, fmt.Errorf("%w %q: use one of %s", ErrUnknown, spec.Name, strings.Join(Names(), ", "))
	}
	exp, err := f.New(ctx, spec.Target, s)
	if err != nil {
		return nil, fmt.Errorf("exporter %s: %w", spec, err)
	}
	return exp, nil
}

// RedactURL hides the password of a URL's user info; anything that is not
// a URL is returned as is.
func RedactURL(v string) string {
	u, err := url.Parse(v)
	if err != nil || u.User == nil {
		return v
	}
	return u.Redacted()
}
