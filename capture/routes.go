package capture

import (
	"fmt"
	"net/url"
	"strings"
)

// Mapping adds a base-URL variable to the table for one run: an
// OpenAI-compatible (or Anthropic- or Gemini-shaped) provider whose client
// reads another variable. Written VAR=API or VAR=API:UPSTREAM.
type Mapping struct {
	Var, API, Upstream string
}

// ParseMapping reads a --capture-var value: VAR=API or VAR=API:UPSTREAM.
func ParseMapping(s string) (Mapping, error) {
	name, rest, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" || rest == "" {
		return Mapping{}, fmt.Errorf("%q: want VAR=API or VAR=API:UPSTREAM, e.g. DEEPSEEK_BASE_URL=openai:https://api.deepseek.com/v1", s)
	}
	api, upstream, _ := strings.Cut(rest, ":")
	if !KnownAPI(api) {
		return Mapping{}, fmt.Errorf("%q: unknown API %q: use openai, anthropic or gemini", s, api)
	}
	if upstream != "" {
		if _, err := parseBase(upstream); err != nil {
			return Mapping{}, fmt.Errorf("%q: upstream: %w", s, err)
		}
	}
	return Mapping{Var: name, API: api, Upstream: upstream}, nil
}

// Route is a variable of the table resolved against the parent
// environment: where the proxy forwards what arrives under /Route/.
type Route struct {
	Provider
	// Target is the upstream base URL: the user's own value of the
	// variable when set (a gateway, Azure, a local server), else the
	// provider's public endpoint.
	Target *url.URL
	// UserSet says the target is the user's own value.
	UserSet bool
}

// Skip is a variable of the table the child does not get, and why.
type Skip struct {
	Var, Reason string
}

// Plan resolves the table, plus extra mappings, against env ("K=V"
// list): the routes the proxy serves and the variables it leaves alone.
// A mapping whose variable is unset and that names no upstream is an
// error: there is nowhere to forward to.
func Plan(env []string, extra []Mapping) ([]Route, []Skip, error) {
	values := map[string]string{}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			values[k] = v
		}
	}
	table := append([]Provider(nil), Providers...)
	for _, m := range extra {
		p := Provider{Var: m.Var, Route: strings.ToLower(m.Var), System: m.API, API: m.API, Upstream: m.Upstream}
		if i := indexVar(table, m.Var); i >= 0 {
			// Asked for by name: the table's condition no longer applies.
			p.Route, p.System = table[i].Route, table[i].System
			if p.Upstream == "" {
				p.Upstream = table[i].Upstream
			}
			table[i] = p
			continue
		}
		if m.Upstream == "" && values[m.Var] == "" {
			return nil, nil, fmt.Errorf("--capture-var %s=%s: %s is not set, so there is nowhere to forward to: set it, or give the upstream as %s=%s:https://...", m.Var, m.API, m.Var, m.Var, m.API)
		}
		table = append(table, p)
	}
	var routes []Route
	var skips []Skip
	for _, p := range table {
		if len(p.OnlyWith) > 0 && !anySet(values, p.OnlyWith) {
			skips = append(skips, Skip{p.Var, p.Why})
			continue
		}
		r := Route{Provider: p}
		raw := p.Upstream
		if v := values[p.Var]; v != "" {
			raw, r.UserSet = v, true
		}
		u, err := parseBase(raw)
		if err != nil {
			skips = append(skips, Skip{p.Var, fmt.Sprintf("its value is not a URL the proxy can forward to (%v): left as it is", err)})
			continue
		}
		r.Target = u
		routes = append(routes, r)
	}
	return routes, skips, nil
}

func indexVar(table []Provider, name string) int {
	for i, p := range table {
		if p.Var == name {
			return i
		}
	}
	return -1
}

func anySet(values map[string]string, names []string) bool {
	for _, n := range names {
		if values[n] != "" {
			return true
		}
	}
	return false
}

// parseBase parses an upstream base URL: http or https, with a host.
func parseBase(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q is not an http(s) URL with a host", raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("a URL with credentials in it is not forwarded")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("a base URL with a query or fragment is not forwarded")
	}
	return u, nil
}
