// Package store keeps the local record of every session: one directory per
// session under the user's state directory, holding
//
//	meta.json      what ran, written when the session starts
//	spans.jsonl    the spans, one ExportTraceServiceRequest JSON per line
//	logs.jsonl     the log records, one ExportLogsServiceRequest JSON per line
//	metrics.jsonl  the metrics, one ExportMetricsServiceRequest JSON per line
//	session.json   the session record (summary, events, end state), written
//	               when the session ends
//
// The .jsonl files are the OpenTelemetry Collector file exporter's format,
// appended as batches arrive so memory does not grow with the session. Every
// whole file is written to a temporary name and renamed, so a reader never
// sees half of one; a session killed half-way leaves meta.json and the
// spans that arrived, which the store still lists and shows.
package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Names of the files in a session directory.
const (
	MetaFile    = "meta.json"
	SessionFile = "session.json"
	SpansFile   = "spans.jsonl"
	LogsFile    = "logs.jsonl"
	MetricsFile = "metrics.jsonl"
)

// EnvStore names the environment variable that overrides the store directory.
const EnvStore = "AGENTOPS_STORE"

// Sentinel errors of Resolve.
var (
	ErrNotFound  = errors.New("no such session")
	ErrAmbiguous = errors.New("ambiguous session id")
	ErrEmpty     = errors.New("no sessions stored yet")
)

// dirTime is the layout of the timestamp that starts a session directory's
// name: UTC, fixed width, so names sort by start time.
const dirTime = "20060102T150405.000Z"

// dirName matches the session directories the store creates; nothing else
// in the store directory is ever read or pruned. Compiled on first use:
// `agentops run` never lists the store.
var dirName = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^\d{8}T\d{6}\.\d{3}Z-[A-Za-z0-9-]+$`)
})

// RootDefault says, for --store's help, where Root looks when no directory
// is given; it follows Root.
const RootDefault = "$" + EnvStore + ", else $XDG_STATE_HOME/agentops, else ~/.local/state/agentops"

// Root returns the store directory: flag if set, else $AGENTOPS_STORE, else
// $XDG_STATE_HOME/agentops, else ~/.local/state/agentops. getenv is
// os.Getenv in production; tests pass their own.
func Root(flag string, getenv func(string) string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if d := getenv(EnvStore); d != "" {
		return d, nil
	}
	if d := getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "agentops"), nil
	}
	home := getenv("HOME")
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("find the session store: %w (set %s or pass --store DIR)", err, EnvStore)
		}
		home = h
	}
	return filepath.Join(home, ".local", "state", "agentops"), nil
}

// Store is a directory of session records. Its zero value is not usable;
// use Open.
type Store struct {
	root string
}

// Open returns the store at root. The directory is created on the first
// session, not here, so reading an empty store changes nothing.
func Open(root string) *Store { return &Store{root: root} }

// Dir is the store's directory.
func (s *Store) Dir() string { return s.root }

// sessionDirs lists the session directory names, newest first.
func (s *Store) sessionDirs() ([]string, error) {
	ents, err := os.ReadDir(s.root)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the session store: %w", err)
	}
	var names []string
	for _, e := range ents {
		if e.IsDir() && dirName().MatchString(e.Name()) {
			names = append(names, e.Name())
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(names)))
	return names, nil
}

// Walk calls fn for each stored session, newest first, reading each only
// when its turn comes, until fn returns false. Sessions that started
// before since (zero: no limit) are not read at all.
func (s *Store) Walk(since time.Time, fn func(*Entry) bool) error {
	names, err := s.sessionDirs()
	if err != nil {
		return err
	}
	for _, n := range names {
		if !since.IsZero() && timeOf(n).Before(since) {
			// Names sort by start time: every later one is older still.
			return nil
		}
		if !fn(s.load(n)) {
			return nil
		}
	}
	return nil
}

// List returns every stored session, newest first. A damaged record is
// listed with State StateCorrupt or StateIncomplete, never an error: only a
// store directory that cannot be read at all is.
func (s *Store) List() ([]*Entry, error) {
	names, err := s.sessionDirs()
	if err != nil {
		return nil, err
	}
	out := make([]*Entry, 0, len(names))
	for _, n := range names {
		out = append(out, s.load(n))
	}
	return out, nil
}

// Resolve finds one session by reference: "last" (the newest), "last~N"
// (the Nth before it), a session id or any unambiguous prefix of one, or a
// directory name.
func (s *Store) Resolve(ref string) (*Entry, error) {
	names, err := s.sessionDirs()
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%w in %s: run 'agentops run -- <command>' first", ErrEmpty, s.root)
	}
	ref = strings.TrimSpace(ref)
	if ref == "" || ref == "last" || ref == "latest" {
		return s.load(names[0]), nil
	}
	if n, ok := strings.CutPrefix(ref, "last~"); ok {
		i, err := strconv.Atoi(n)
		switch {
		case err != nil || i < 0:
			return nil, fmt.Errorf("%w %q: last~N takes a number, as in last~1 (the session before the last)", ErrNotFound, ref)
		case i >= len(names):
			return nil, fmt.Errorf("%w %q: the store has %d sessions, so last~%d is the oldest", ErrNotFound, ref, len(names), len(names)-1)
		}
		return s.load(names[i]), nil
	}
	var matches []string
	for _, n := range names {
		if n == ref {
			return s.load(n), nil
		}
		if strings.HasPrefix(idOf(n), ref) || strings.HasPrefix(n, ref) {
			matches = append(matches, n)
		}
	}
	switch len(matches) {
	case 0:
		return nil, fmt.Errorf("%w %q in %s: see 'agentops sessions'", ErrNotFound, ref, s.root)
	case 1:
		return s.load(matches[0]), nil
	}
	// A one-character prefix can match hundreds: name a few.
	const listed = 5
	ids := make([]string, 0, listed+1)
	for _, m := range matches[:min(len(matches), listed)] {
		ids = append(ids, idOf(m))
	}
	if more := len(matches) - listed; more > 0 {
		ids = append(ids, fmt.Sprintf("and %d more", more))
	}
	return nil, fmt.Errorf("%w %q matches %d sessions (%s): give more characters", ErrAmbiguous, ref, len(matches), strings.Join(ids, ", "))
}

// idOf is the session id part of a directory name.
func idOf(dir string) string {
	if len(dir) > len(dirTime)+1 {
		return dir[len(dirTime)+1:]
	}
	return dir
}

// timeOf is the start time encoded in a directory name.
func timeOf(dir string) time.Time {
	if len(dir) < len(dirTime) {
		return time.Time{}
	}
	t, _ := time.Parse(dirTime, dir[:len(dirTime)])
	return t
}

// Prune removes the sessions that started before cutoff and returns them.
// Sessions still running are kept whatever their age.
func (s *Store) Prune(cutoff time.Time, dryRun bool) ([]*Entry, error) {
	names, err := s.sessionDirs()
	if err != nil {
		return nil, err
	}
	var removed []*Entry
	var errs []error
	for _, n := range names {
		if !timeOf(n).Before(cutoff) {
			continue
		}
		e := s.load(n)
		if e.State == StateRunning {
			continue
		}
		if !dryRun {
			if err := os.RemoveAll(e.Path); err != nil {
				errs = append(errs, fmt.Errorf("remove %s: %w", e.Path, err))
				continue
			}
		}
		removed = append(removed, e)
	}
	return removed, errors.Join(errs...)
}
