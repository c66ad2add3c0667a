package storedsession

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteReportFileToMissingDirSaysWhich(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing")
	err := WriteReportFile(filepath.Join(dir, "r.html"), nil)
	if err == nil || !strings.Contains(err.Error(), "cannot create files in "+dir) || strings.Contains(err.Error(), ".tmp") {
		t.Errorf("err = %v, want the directory named and no temporary file", err)
	}
}
