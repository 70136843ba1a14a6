package storeflag

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestDefaultDSN(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", "/home/ann/.cache")
	t.Setenv("HOME", "/home/ann")
	for _, name := range []string{"file", "sqlite"} {
		dsn := DefaultDSN(name)
		if !strings.HasPrefix(dsn, filepath.Join("/home/ann/.cache", "session-demo")) {
			t.Errorf("DefaultDSN(%q) = %q, want a path in the user's cache directory", name, dsn)
		}
	}
	if DefaultDSN("memory") != "" || DefaultDSN("redis") == "" {
		t.Error("defaults for memory (none) or redis (a URL) are wrong")
	}
}

func TestSplitSecrets(t *testing.T) {
	if got := SplitSecrets(" a , ,b,"); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("SplitSecrets = %q", got)
	}
	if got := SplitSecrets(""); got != nil {
		t.Errorf("SplitSecrets(\"\") = %q", got)
	}
}
