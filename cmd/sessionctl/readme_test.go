package main

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// TestREADMECommands checks that every sessionctl command line in the
// README's shell blocks names a command and only flags it has: each is
// run with -h appended, which exits 0 only if everything before it parsed.
func TestREADMECommands(t *testing.T) {
	f, err := os.Open("README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	inShell, n := false, 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "```sh":
			inShell = true
		case line == "```":
			inShell = false
		case inShell:
			_, cmd, ok := strings.Cut(line, "sessionctl ")
			if !ok || strings.HasPrefix(line, "go ") {
				continue
			}
			cmd, _, _ = strings.Cut(cmd, "<") // a redirection
			args := shellWords(t, cmd)
			n++
			sessionctl(t, nil, append(args, "-h")...).want(t, exitOK, "Usage: sessionctl "+args[0])
		}
	}
	if n < 8 {
		t.Fatalf("found %d sessionctl commands in the README, want every command's example", n)
	}
}

// shellWords splits a command line as a shell would for the simple quoting
// the README uses: words separated by spaces, '…' and "…" quoted.
func shellWords(t *testing.T, s string) []string {
	var (
		words []string
		cur   strings.Builder
		quote rune
		in    bool
	)
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == ' ':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if quote != 0 {
		t.Fatalf("unbalanced quote in %q", s)
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}
