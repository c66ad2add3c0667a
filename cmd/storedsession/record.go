package storedsession

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/agentops-dev/agentops/cmd/exitcode"
	"github.com/agentops-dev/agentops/record"
	"github.com/agentops-dev/agentops/store"
)

// LoadRecord reads the record of the session ref names: a session JSON
// document (agentops run --json, a CI artifact) when ref is a file, else
// a stored session (an id or prefix, last, last~N). A stored session's
// final record is read alone; one that has none is rebuilt from its spans.
func LoadRecord(storeDir string, getenv func(string) string, ref string) (*record.Session, error) {
	if fi, err := os.Stat(ref); err == nil && fi.Mode().IsRegular() {
		return readRecordFile(ref)
	}
	if getenv == nil {
		getenv = os.Getenv
	}
	root, err := store.Root(storeDir, getenv)
	if err != nil {
		return nil, &exitcode.Error{Code: exitcode.Internal, Err: err}
	}
	e, err := store.Open(root).Resolve(ref)
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrAmbiguous), errors.Is(err, store.ErrEmpty):
		return nil, &exitcode.Error{Code: exitcode.Usage, Err: fmt.Errorf("%w (or give a session JSON file)", err)}
	case err != nil:
		return nil, &exitcode.Error{Code: exitcode.Internal, Err: err}
	}
	if e.Final != nil {
		return e.Final, nil
	}
	s, err := Load(storeDir, getenv, e.Name)
	if err != nil {
		return nil, err
	}
	return s.Record, nil
}

// readRecordFile reads a session JSON document of this or an older schema
// version (versions only ever add fields).
func readRecordFile(path string) (*record.Session, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &exitcode.Error{Code: exitcode.Usage, Err: err}
	}
	var rec record.Session
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, &exitcode.Error{Code: exitcode.Usage, Err: fmt.Errorf("%s is not a session JSON document (agentops run --json writes one): %w", path, err)}
	}
	if rec.SchemaVersion > record.SchemaVersion {
		return nil, &exitcode.Error{Code: exitcode.Usage, Err: fmt.Errorf("%s has schema_version %d, newer than this agentops reads (%d): upgrade agentops", path, rec.SchemaVersion, record.SchemaVersion)}
	}
	if rec.ID == "" && rec.Start.IsZero() && len(rec.Command) == 0 {
		return nil, &exitcode.Error{Code: exitcode.Usage, Err: fmt.Errorf("%s is JSON but not a session document: it has no id, start or command (agentops run --json writes one)", path)}
	}
	return &rec, nil
}
