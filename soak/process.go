package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/b4f9cdbb/session/store"
)

// server is a throw-away database server run as a child process: started,
// stopped and started again on the same port and data directory.
type server struct {
	name  string   // as people call it, for messages
	bin   string   // the server's binary
	args  []string // its arguments
	dir   string   // its temporary directory, removed by close
	as    *syscall.Credential
	ready func(context.Context) error // succeeds once it accepts work
	// stopSig asks for a clean shutdown, crashSig for an abrupt one.
	stopSig, crashSig os.Signal

	cmd  *exec.Cmd
	exit chan error // the running process's Wait result
}

// stop shuts the server down, cleanly or (crash) abruptly, and waits for
// it to exit.
func (s *server) stop(_ context.Context, crash bool) error {
	if crash {
		return s.signal(s.crashSig)
	}
	return s.signal(s.stopSig)
}

// start runs the server again on the same port and data.
func (s *server) start(ctx context.Context) error { return s.run(ctx) }

// close stops the server and removes its directory.
func (s *server) close() {
	_ = s.signal(s.stopSig)
	os.RemoveAll(s.dir)
}

// logFile is where the server's output goes.
func (s *server) logFile() string { return filepath.Join(s.dir, "server.log") }

// run starts the process and waits until ready succeeds (60 s at most).
func (s *server) run(ctx context.Context) error {
	out, err := os.OpenFile(s.logFile(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer out.Close()
	cmd := exec.Command(s.bin, s.args...)
	cmd.Stdout, cmd.Stderr = out, out
	// The server must not outlive the soak if the soak is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.as, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", s.name, err)
	}
	s.cmd, s.exit = cmd, make(chan error, 1)
	go func() { s.exit <- cmd.Wait() }()
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for {
		err := s.ready(ctx)
		if err == nil {
			return nil
		}
		select {
		case werr := <-s.exit:
			s.exit <- werr
			return fmt.Errorf("%s exited while starting (%v); its log %s ends: %s", s.name, werr, s.logFile(), tail(s.logFile()))
		case <-ctx.Done():
			return fmt.Errorf("%s did not accept connections within 60 s: %w; its log %s ends: %s", s.name, err, s.logFile(), tail(s.logFile()))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// signal sends sig to the running process and waits for it to exit (30 s
// at most, then it is killed).
func (s *server) signal(sig os.Signal) error {
	if s.cmd == nil {
		return nil
	}
	defer func() { s.cmd = nil }()
	if err := s.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signalling %s: %w", s.name, err)
	}
	select {
	case <-s.exit:
		return nil
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exit
		return fmt.Errorf("%s did not stop within 30 s of %v; killed it", s.name, sig)
	}
}

// migrated finishes opening a SQL store made by New with err: it creates
// the table, and on any failure closes what was opened.
func migrated(ctx context.Context, st sqlStore, err error, closeDB func()) (store.Store, func(), error) {
	if err != nil {
		closeDB()
		return nil, nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		closeDB()
		return nil, nil, err
	}
	return st, func() { st.Close(); closeDB() }, nil
}

// sqlStore is what pgstore and mysqlstore stores have in common.
type sqlStore interface {
	store.Store
	Migrate(context.Context) error
	Close() error
}

// freePort returns a loopback TCP port that nothing listens on now.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	_, port, err := net.SplitHostPort(ln.Addr().String())
	return port, err
}

// placeFor makes a temporary directory for a server's files, which other
// users may enter (PostgreSQL runs as another user than the soak when that
// is root), and picks a free loopback port for it.
func placeFor(name string) (dir, port string, err error) {
	dir, err = os.MkdirTemp("", "soak-"+name+"-")
	if err != nil {
		return "", "", err
	}
	if err = os.Chmod(dir, 0o755); err == nil {
		port, err = freePort()
	}
	if err != nil {
		os.RemoveAll(dir)
		return "", "", err
	}
	return dir, port, nil
}

// command runs a setup command to its end, with its output in the error.
func command(ctx context.Context, as *syscall.Credential, bin string, args ...string) error {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: as}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", filepath.Base(bin), strings.Join(args, " "), err, lastLines(string(out), 5))
	}
	return nil
}

// lookBin finds a server binary on PATH or in the given directories.
func lookBin(name string, dirs ...string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range dirs {
		if p := filepath.Join(d, name); isExecutable(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found on PATH or in %v: install the server package (Debian: redis-server, postgresql, mariadb-server)", name, dirs)
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// unprivileged returns the credential of the named user when the soak runs
// as root (some servers refuse to run as root), and nil otherwise.
func unprivileged(name string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("running as root, the %s server must run as user %q: %w", name, name, err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, err
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// owned makes dir belong to as (when not nil).
func owned(dir string, as *syscall.Credential) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if as == nil {
		return nil
	}
	return os.Chown(dir, int(as.Uid), int(as.Gid))
}

// tail returns the last lines of a log file, for error messages.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	return lastLines(string(b), 5)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
