package remix

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// libs are the two JavaScript implementations every test runs against.
var libs = []string{"react-router", "remix-node"}

var nodeCheck = sync.OnceValue(func() string {
	if _, err := exec.LookPath("node"); err != nil {
		return "node is not installed (the React Router interop tests need Node.js 20 or later)"
	}
	for _, pkg := range []string{"react-router", "@remix-run/node"} {
		if _, err := os.Stat(filepath.Join("node_modules", pkg, "package.json")); err != nil {
			return "interop/remix/node_modules is missing " + pkg + "; run `npm ci --prefix interop/remix` first"
		}
	}
	return ""
})

// needNode skips the test when Node.js or the npm packages are missing.
func needNode(t *testing.T) {
	t.Helper()
	if msg := nodeCheck(); msg != "" {
		t.Skip(msg)
	}
}

// jsRequest is one request to session.mjs; see the comment at its top.
type jsRequest struct {
	Lib     string                     `json:"lib,omitempty"`
	Storage string                     `json:"storage,omitempty"`
	Cookie  map[string]any             `json:"cookie,omitempty"`
	Header  string                     `json:"header,omitempty"`
	Take    []string                   `json:"take,omitempty"`
	Set     map[string]any             `json:"set,omitempty"`
	Flash   map[string]any             `json:"flash,omitempty"`
	Unset   []string                   `json:"unset,omitempty"`
	Destroy bool                       `json:"destroy,omitempty"`
	Commit  *bool                      `json:"commit,omitempty"`
	Records map[string]json.RawMessage `json:"records,omitempty"`
	NewID   string                     `json:"newId,omitempty"`
}

// jsResponse is session.mjs's answer to one request.
type jsResponse struct {
	ID        string                     `json:"id"`
	Data      json.RawMessage            `json:"data"`
	Has       map[string]bool            `json:"has"`
	Taken     map[string]json.RawMessage `json:"taken"`
	SetCookie *string                    `json:"setCookie"`
	Records   map[string]json.RawMessage `json:"records"`
	Error     string                     `json:"error"`
}

// worker is one node process running session.mjs, shared by the tests:
// starting Node and loading the packages takes far longer than a request.
type worker struct {
	mu     sync.Mutex
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	stderr lockedBuffer
	err    error // set once the process is unusable
}

// lockedBuffer collects node's stderr, written by exec's goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var (
	workerMu sync.Mutex
	shared   *worker
)

func startWorker() *worker {
	w := &worker{cmd: exec.Command("node", "session.mjs")}
	w.cmd.Stderr = &w.stderr
	in, err := w.cmd.StdinPipe()
	if err != nil {
		w.err = err
		return w
	}
	out, err := w.cmd.StdoutPipe()
	if err != nil {
		w.err = err
		return w
	}
	w.in, w.out = in, bufio.NewReaderSize(out, 1<<16)
	w.err = w.cmd.Start()
	return w
}

// stopWorker ends the shared node process, if one was started.
func stopWorker() {
	workerMu.Lock()
	defer workerMu.Unlock()
	if shared != nil && shared.in != nil {
		_ = shared.in.Close() // node exits at the end of its input
		_ = shared.cmd.Wait()
	}
	shared = nil
}

func TestMain(m *testing.M) {
	code := m.Run()
	stopWorker()
	os.Exit(code)
}

// runJS runs one request through the real JavaScript session storage.
func runJS(t *testing.T, req jsRequest) jsResponse {
	t.Helper()
	needNode(t)
	in, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	workerMu.Lock()
	if shared == nil {
		shared = startWorker()
	}
	w := shared
	workerMu.Unlock()

	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		t.Fatalf("node session.mjs: %v\nstderr:\n%s", w.err, w.stderr.String())
	}
	type result struct {
		line []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		if _, err := w.in.Write(append(in, '\n')); err != nil {
			done <- result{nil, err}
			return
		}
		line, err := w.out.ReadBytes('\n')
		done <- result{line, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(30 * time.Second):
		_ = w.cmd.Process.Kill()
		r = <-done
		r.err = errors.New("timed out after 30s")
	}
	if r.err != nil {
		w.err = r.err
		t.Fatalf("node session.mjs %s: %v\nstderr:\n%s", in, r.err, w.stderr.String())
	}
	var out jsResponse
	if err := json.Unmarshal(r.line, &out); err != nil {
		t.Fatalf("node session.mjs printed %q: %v", r.line, err)
	}
	if out.Error != "" {
		t.Fatalf("node session.mjs %s threw:\n%s", in, out.Error)
	}
	return out
}

// cookieValue returns the value in a Set-Cookie line that sets name.
func cookieValue(t *testing.T, setCookie *string, name string) string {
	t.Helper()
	if setCookie == nil {
		t.Fatal("no Set-Cookie")
	}
	first, _, _ := strings.Cut(*setCookie, ";")
	n, v, ok := strings.Cut(first, "=")
	if !ok || n != name {
		t.Fatalf("Set-Cookie %q does not set %s", *setCookie, name)
	}
	return v
}

// sameJSON reports whether two JSON texts mean the same value.
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return bytes.Equal(xb, yb)
}
