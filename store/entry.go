package store

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/agentops-dev/agentops/record"
)

// State is how a stored session ended, or why its record is not whole.
type State string

// The states of a stored session.
const (
	// StateOK: the child exited 0.
	StateOK State = "ok"
	// StateFailed: the child exited non-zero.
	StateFailed State = "failed"
	// StateKilled: a signal killed the child.
	StateKilled State = "killed"
	// StateNotStarted: the child could not be started.
	StateNotStarted State = "not-started"
	// StateRunning: no final record yet, and the agentops process that
	// writes it is still alive.
	StateRunning State = "running"
	// StateIncomplete: no final record and nobody left to write it (agentops
	// was killed); what arrived before is still readable.
	StateIncomplete State = "incomplete"
	// StateCorrupt: neither meta.json nor session.json could be read.
	StateCorrupt State = "corrupt"
)

// Failed reports whether the state counts as a failure for `sessions --failed`.
func (s State) Failed() bool { return s != StateOK && s != StateRunning }

// Meta is what the store knows of a session from its start.
type Meta struct {
	ID      string    `json:"id"`
	Command []string  `json:"command"`
	Dir     string    `json:"cwd,omitempty"`
	Start   time.Time `json:"start"`
	// PID and Host identify the agentops process writing the record, to tell
	// a running session from one whose agentops died.
	PID  int    `json:"agentops_pid,omitempty"`
	Host string `json:"host,omitempty"`
	// Lock says how the writing agentops marks the session running:
	// LockDir (set by Begin), or empty for sessions from before, which
	// hold a flock on LockFile or only name their pid.
	Lock string `json:"lock,omitempty"`
	// StoreError says why the session's final record could not be
	// written (a full disk), set by Finish in its stead.
	StoreError string `json:"store_error,omitempty"`
}

// Entry is one stored session as read from disk.
type Entry struct {
	// Name is the session directory's name, Path its full path.
	Name, Path string
	// ID is the session id.
	ID string
	// Meta is the start record; zero when meta.json is missing or unreadable.
	Meta Meta
	// Final is the session record written at the end; nil when missing or
	// unreadable.
	Final *record.Session
	// State is how the session ended.
	State State
	// Problems says what is wrong with the record, if anything, for people.
	Problems []string
}

// Start is the session's start time, from the best source available.
func (e *Entry) Start() time.Time {
	switch {
	case e.Final != nil && !e.Final.Start.IsZero():
		return e.Final.Start
	case !e.Meta.Start.IsZero():
		return e.Meta.Start
	}
	return timeOf(e.Name)
}

// Command is the session's command line.
func (e *Entry) Command() []string {
	if e.Final != nil && len(e.Final.Command) > 0 {
		return e.Final.Command
	}
	return e.Meta.Command
}

// load reads a session directory's small files; spans are read by Load.
func (s *Store) load(name string) *Entry {
	e := &Entry{Name: name, Path: filepath.Join(s.root, name), ID: idOf(name)}
	metaErr := readJSON(filepath.Join(e.Path, MetaFile), &e.Meta)
	if metaErr != nil {
		e.Problems = append(e.Problems, metaErr.Error())
	}
	var final record.Session
	finalErr := readJSON(filepath.Join(e.Path, SessionFile), &final)
	switch {
	case finalErr == nil:
		e.Final = &final
		e.State = endState(&final)
		if l := final.StoreLost; l != nil {
			e.Problems = append(e.Problems, storeLostProblem(l, len(final.Events) == 0 && final.EventsOmitted > 0))
		}
		return e
	case !os.IsNotExist(finalErr):
		e.Problems = append(e.Problems, finalErr.Error())
	}
	switch {
	case metaErr != nil:
		e.State = StateCorrupt
	case running(e.Path, e.Meta):
		e.State = StateRunning
	default:
		e.State = StateIncomplete
		switch {
		case e.Meta.StoreError != "":
			e.Problems = append(e.Problems, "no final record: the store could not write it ("+e.Meta.StoreError+"); showing what arrived")
		case os.IsNotExist(finalErr):
			e.Problems = append(e.Problems, "no final record: agentops did not finish this session (killed?); showing what arrived")
		}
	}
	return e
}

// storeLostProblem says what the store could not keep of a session.
func storeLostProblem(l *record.StoreLoss, noEvents bool) string {
	msg := "the store could not keep all of this session (" + l.Error + ")"
	if lost := l.Items(); lost != "" {
		msg += ": " + lost + " not written, not shown here"
	}
	if noEvents {
		msg += "; its final record holds no events"
	}
	return msg
}

// endState is how a finished session ended.
func endState(r *record.Session) State {
	switch {
	case r.StartError != "":
		return StateNotStarted
	case r.Signal != "":
		return StateKilled
	case r.ExitCode != 0 || r.EndState == record.Fail:
		return StateFailed
	}
	return StateOK
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return nil
}

// running reports whether the agentops writing the session is alive: by
// the lock it holds, else (a session from before the lock) by its pid.
func running(dir string, m Meta) bool {
	if held, known := lockHeld(dir, m); known {
		return held
	}
	return alive(m)
}

// alive reports whether the agentops process that started the session is
// still running on this host. A recycled pid can make a dead session look
// alive until the pid is freed again; that errs on the side of keeping it.
func alive(m Meta) bool {
	if m.PID <= 0 {
		return false
	}
	if h, _ := os.Hostname(); h != m.Host {
		return false
	}
	p, err := os.FindProcess(m.PID)
	if err != nil {
		return false
	}
	return p.Signal(syscall.Signal(0)) == nil
}
