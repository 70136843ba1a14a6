// Package storeflag is what the demo and sessionctl share about naming a
// store on the command line (-store and -dsn) and reading SESSION_SECRETS,
// so that both tools accept the same values with the same defaults.
package storeflag

import (
	"os"
	"path/filepath"
	"strings"
)

// DefaultDSN is where the store called name keeps sessions when -dsn is not
// given: the servers of a developer's machine, and folders of the user's
// own cache directory, never the shared temporary one (where another local
// user could create the folder first and rewrite every session in it). It
// is "" when there is no default, or no cache directory.
func DefaultDSN(name string) string {
	switch name {
	case "file", "sqlite":
		dir, err := os.UserCacheDir()
		if err != nil {
			return ""
		}
		if name == "file" {
			return filepath.Join(dir, "session-demo", "sessions")
		}
		return filepath.Join(dir, "session-demo", "sessions.sqlite")
	case "redis":
		return "redis://127.0.0.1:6379/0"
	case "postgres":
		return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	case "mysql":
		return "root@tcp(127.0.0.1:3306)/test"
	}
	return ""
}

// SplitSecrets parses SESSION_SECRETS: comma-separated, the current secret
// first, blanks ignored.
func SplitSecrets(env string) []string {
	var out []string
	for _, s := range strings.Split(env, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
