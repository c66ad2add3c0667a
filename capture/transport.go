package capture

import (
	"io"
	"log"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/net/http/httpproxy"
)

// discardLog silences net/http's own logging: a client hanging up mid
// stream is an outcome the span records, not a message for the terminal.
var discardLog = log.New(io.Discard, "", 0)

// NewTransport is the upstream transport: the standard library's default
// (TLS verified, HTTP/2, keep-alive) with the proxy settings of env
// (HTTPS_PROXY, HTTP_PROXY, NO_PROXY, either case) rather than of our own
// process, and without transparent compression, so that the upstream
// receives the Accept-Encoding the client sent, and the client receives
// the body as the upstream encoded it.
func NewTransport(env []string) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DisableCompression = true
	proxy := proxyConfig(env).ProxyFunc()
	t.Proxy = func(r *http.Request) (*url.URL, error) { return proxy(r.URL) }
	return t
}

// lazyTransport is the upstream transport built by the first call that
// goes through the proxy: cloning the standard library's transport took
// tens of microseconds of every run's start, and many children make no
// call.
type lazyTransport func() *http.Transport

func (t lazyTransport) RoundTrip(r *http.Request) (*http.Response, error) { return t().RoundTrip(r) }

// proxyConfig reads the proxy variables as the standard library does
// (upper case first, then lower case; REQUEST_METHOD disables HTTP_PROXY
// under CGI), from env instead of the process environment.
func proxyConfig(env []string) *httpproxy.Config {
	get := func(name string) string {
		v := ""
		for _, kv := range env {
			if k, val, ok := strings.Cut(kv, "="); ok && k == name {
				v = val
			}
		}
		return v
	}
	either := func(name string) string {
		if v := get(name); v != "" {
			return v
		}
		return get(strings.ToLower(name))
	}
	return &httpproxy.Config{
		HTTPProxy:  either("HTTP_PROXY"),
		HTTPSProxy: either("HTTPS_PROXY"),
		NoProxy:    either("NO_PROXY"),
		CGI:        get("REQUEST_METHOD") != "",
	}
}
