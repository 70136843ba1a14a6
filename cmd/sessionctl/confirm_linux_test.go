package main

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY returns both ends of a new pseudo-terminal: what the test writes
// to the first, the command reads from the second, a real terminal.
func openPTY(t *testing.T) (control, term *os.File) {
	t.Helper()
	control, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal to test the confirmation prompt with: %v", err)
	}
	t.Cleanup(func() { control.Close() })
	fd := int(control.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlocking the pseudo-terminal: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("naming the pseudo-terminal: %v", err)
	}
	term, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("opening the pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { term.Close() })
	return control, term
}

// TestRevokeAllConfirm: on a terminal, revoke-all asks, says how many
// sessions it would end, and goes on only for the store's name or "yes".
func TestRevokeAllConfirm(t *testing.T) {
	c := fileCase(t)
	sessions := newStorage(t, c.st, time.Now, []string{secret1})
	mint(t, sessions, "alice")
	mint(t, sessions, "bob")
	for _, tc := range []struct {
		answer string
		code   int
		left   string
	}{
		{"no\n", exitFailed, "2\n"},
		{"\n", exitFailed, "2\n"},
		{"redis\n", exitFailed, "2\n"}, // another store's name
		{"file\n", exitOK, "0\n"},
	} {
		control, term := openPTY(t)
		if _, err := control.WriteString(tc.answer); err != nil {
			t.Fatal(err)
		}
		r := sessionctl(t, term, append([]string{"revoke-all"}, c.flags...)...)
		if tc.code == exitOK {
			r.want(t, exitOK, "revoked 2 sessions: every user is signed out")
		} else {
			r.want(t, tc.code, "not confirmed; nothing was deleted")
		}
		if want := `This ends all 2 live sessions in the file store at ` + c.flags[3] + `: every user is signed out.` + "\n" + `Type "file" or "yes" to go on: `; !strings.HasPrefix(r.stderr, want) {
			t.Fatalf("prompt %q, want %q", r.stderr, want)
		}
		sessionctl(t, nil, append([]string{"count"}, c.flags...)...).want(t, exitOK, tc.left)
	}
	// "yes" works as well as the store's name.
	mint(t, sessions, "carol")
	control, term := openPTY(t)
	control.WriteString("yes\n")
	sessionctl(t, term, append([]string{"revoke-all"}, c.flags...)...).want(t, exitOK, "revoked 1 session")
}
