package e2e

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeZone writes a TZif file (RFC 8536, version 1) of one zone, +09:00
// named "TST" with no transitions, the form the time package reads from
// the file TZ names: a local zone that is not UTC whatever the machine has
// installed.
func writeZone(t *testing.T) string {
	t.Helper()
	b := append([]byte("TZif"), make([]byte, 16)...) // version 1, reserved
	for _, n := range []uint32{0, 0, 0, 0, 1, 4} {   // isut, isstd, leap, time, type, char counts
		b = binary.BigEndian.AppendUint32(b, n)
	}
	b = binary.BigEndian.AppendUint32(b, 9*3600) // the one ttinfo: utoff,
	b = append(b, 0, 0)                          // isdst, desigidx
	b = append(b, "TST\x00"...)
	path := filepath.Join(t.TempDir(), "zone")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRecordTimesAreUTC: the session's record, its start record and the
// --json copy give their times in UTC, as docs/session-json.md says, when
// the machine's local zone is another.
func TestRecordTimesAreUTC(t *testing.T) {
	env := withStore(t, "TZ="+writeZone(t))
	res := runAgentops(t, env, nil, testAgentChild(0)...)
	if res.exitCode != 0 {
		t.Fatalf("exit %d\n%s", res.exitCode, res.stderr)
	}
	s := res.session
	if _, off := s.Start.Zone(); off != 0 || s.End.IsZero() {
		t.Errorf("--json start %v, end %v: want UTC", s.Start, s.End)
	}
	if _, off := s.End.Zone(); off != 0 {
		t.Errorf("--json end %v: want UTC", s.End)
	}
	var root string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "AGENTOPS_STORE="); ok {
			root = v
		}
	}
	dirs, _ := filepath.Glob(filepath.Join(root, "*-"+s.ID))
	if len(dirs) != 1 {
		t.Fatalf("session %s in the store %s: %v", s.ID, root, dirs)
	}
	dir := dirs[0]
	for _, name := range []string{"session.json", "meta.json"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{`"start": "`, `"end": "`} {
			i := strings.Index(string(b), key)
			if i < 0 {
				if key == `"start": "` || name == "session.json" {
					t.Errorf("%s has no %s", name, key)
				}
				continue
			}
			v := string(b[i+len(key):])
			v = v[:strings.IndexByte(v, '"')]
			if !strings.HasSuffix(v, "Z") {
				t.Errorf("%s: %s%s\": want a UTC time (…Z)", name, key, v)
			}
		}
	}
}
