package exporter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// UnsentVersion is the version of the unsent record's format.
const UnsentVersion = 1

// UnsentRecord is what one exporter of a session did not deliver, written
// at the end of the run as unsent-N-NAME.json next to the batches it
// names, for `agentops export --resume`:
//
//   - Left: never delivered (not sent yet, or still being retried, when the
//     export timeout cut the exporter): safe to send again;
//   - Failed: refused by the backend for good (HTTP 400, ...): sending them
//     again only helps once what was wrong is fixed;
//   - InDoubt: sent, but the answer never came before the cut: the backend
//     may have kept them, so sending them again may duplicate them.
//
// Each entry names one line of an OTLP JSON lines file: the store's
// spans.jsonl, logs.jsonl or metrics.jsonl, or the exporter's own
// unsent-N-NAME.jsonl for batches the store does not have.
type UnsentRecord struct {
	Version  int    `json:"version"`
	Exporter string `json:"exporter"`
	Target   string `json:"target,omitempty"`
	// Source says why the exporter ran: --exporter, or the variables
	// that asked for it.
	Source  string        `json:"source,omitempty"`
	Left    []UnsentBatch `json:"left,omitempty"`
	Failed  []UnsentBatch `json:"failed,omitempty"`
	InDoubt []UnsentBatch `json:"in_doubt,omitempty"`
}

// UnsentBatch is one batch of an unsent record.
type UnsentBatch struct {
	Signal string `json:"signal"`
	// File is relative to the record's directory when it is inside it.
	File   string `json:"file"`
	Offset int64  `json:"offset"`
	Length int64  `json:"length"`
	Items  int64  `json:"items"`
}

// Ref is the batch's line, File made absolute against dir.
func (b UnsentBatch) Ref(dir string) Ref {
	f := b.File
	if !filepath.IsAbs(f) {
		f = filepath.Join(dir, f)
	}
	return Ref{File: f, Offset: b.Offset, Length: b.Length, Items: b.Items}
}

// ParseSignal reads a signal name (traces, logs, metrics).
func ParseSignal(v string) (Signal, bool) {
	for _, s := range Signals {
		if s.String() == v {
			return s, true
		}
	}
	return 0, false
}

// Count adds up the items of batches.
func Count(bs []UnsentBatch) (n int64) {
	for _, b := range bs {
		n += b.Items
	}
	return n
}

// SetUnsent sets where the unsent record goes (recordPath) and the OTLP
// JSON lines file (spill) that keeps batches the journal does not have,
// during the run when spill is true (no store: memory would otherwise
// fill), and at the end for those left in memory. Call it before the
// first batch.
func (s *Sender) SetUnsent(recordPath, spillPath string, spill bool, limit int64) {
	s.spillMu.Lock()
	defer s.spillMu.Unlock()
	s.record = recordPath
	s.cfg.Spill = spillPath
	s.cfg.SpillLimit = limit
	s.spillOK = spill && spillPath != ""
}

func openSpill(path string) (*File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	return NewFile(path)
}

// WriteUnsent writes the unsent record, after Shutdown: batches not in a
// file are appended to the spill file first. With nothing undelivered it
// writes nothing and removes a spill file whose batches were all sent.
// It returns the record's path, or "".
func (s *Sender) WriteUnsent() (string, error) {
	rec, err := s.Unsent()
	return s.writeRecord(rec, err)
}

// Unsent is the unsent record of what the sender did not deliver, after
// Shutdown: batches not in a file are appended to the spill file first.
func (s *Sender) Unsent() (UnsentRecord, error) {
	s.spillMu.Lock()
	defer s.spillMu.Unlock()
	rec := UnsentRecord{Version: UnsentVersion, Exporter: s.Spec.Name, Target: RedactURL(s.Spec.Target), Source: s.Source}
	s.out.mu.Lock()
	kept := s.out.kept
	s.out.mu.Unlock()
	lists := []struct {
		k    outcomeKind
		list *[]UnsentBatch
	}{{outcomeLeft, &rec.Left}, {outcomeFailed, &rec.Failed}, {outcomeInDoubt, &rec.InDoubt}}
	var errs []error
	for _, sg := range Signals {
		for _, l := range lists {
			for _, it := range kept[sg][l.k] {
				r := it.ref
				if !r.Valid() {
					var err error
					if r, err = s.spillLocked(it.batch); err != nil {
						errs = append(errs, err)
						continue
					}
				}
				*l.list = append(*l.list, UnsentBatch{Signal: sg.String(), File: s.relative(r.File), Offset: r.Offset, Length: r.Length, Items: r.Items})
			}
		}
	}
	if s.spill != nil {
		errs = append(errs, s.spill.Shutdown(context.Background()))
	}
	return rec, errors.Join(errs...)
}

// Empty says whether the record names no batch.
func (r UnsentRecord) Empty() bool { return len(r.Left)+len(r.Failed)+len(r.InDoubt) == 0 }

// WriteRecord writes rec as the sender's unsent record, or, when rec is
// empty, removes the record and the spill file: nothing is left.
func (s *Sender) WriteRecord(rec UnsentRecord) (string, error) { return s.writeRecord(rec, nil) }

func (s *Sender) writeRecord(rec UnsentRecord, err error) (string, error) {
	errs := []error{err}
	if rec.Empty() {
		if s.cfg.Spill != "" {
			_ = os.Remove(s.cfg.Spill)
		}
		if s.record != "" {
			_ = os.Remove(s.record)
		}
		return "", errors.Join(errs...)
	}
	if s.record == "" {
		return "", errors.Join(append(errs, errors.New("no place to keep unsent batches"))...)
	}
	if err := writeJSON(s.record, rec); err != nil {
		return "", errors.Join(append(errs, err)...)
	}
	return s.record, errors.Join(errs...)
}

// spillLocked appends b to the spill file; s.spillMu is held.
func (s *Sender) spillLocked(b Batch) (Ref, error) {
	if s.spill == nil {
		if s.cfg.Spill == "" {
			return Ref{}, errors.New("no file to keep unsent batches in")
		}
		f, err := openSpill(s.cfg.Spill)
		if err != nil {
			return Ref{}, fmt.Errorf("keep unsent batches: %w", err)
		}
		s.spill = f
	}
	switch b.Signal {
	case Logs:
		return s.spill.WriteLogs(b.Logs)
	case Metrics:
		return s.spill.WriteMetrics(b.Metrics)
	}
	return s.spill.WriteTraces(b.Traces)
}

func (s *Sender) relative(file string) string {
	if s.record == "" {
		return file
	}
	dir := filepath.Dir(s.record)
	if rel, err := filepath.Rel(dir, file); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return file
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// ReadUnsent reads an unsent record.
func ReadUnsent(path string) (UnsentRecord, error) {
	var rec UnsentRecord
	b, err := os.ReadFile(path)
	if err != nil {
		return rec, err
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		return rec, fmt.Errorf("%s: not an unsent record: %w", path, err)
	}
	if rec.Version != UnsentVersion {
		return rec, fmt.Errorf("%s: unsent record version %d, this agentops reads %d", path, rec.Version, UnsentVersion)
	}
	return rec, nil
}
