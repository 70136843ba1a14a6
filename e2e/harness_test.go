package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// secret is the demo's SESSION_SECRETS in these tests.
const secret = "e2eK7vQm3XpL9wRt2ZcB8nHy5JdF4gSa"

// chromiumFlags and hostResolverRules are the only browser flags the tests
// pass (chromedp adds the pipe it talks over, the profile directory and
// about:blank).
var chromiumFlags = []string{
	"headless", "no-sandbox", "disable-gpu", "disable-quic", "no-first-run",
	"disable-background-networking", "disable-component-update", "disable-sync",
}

// hostResolverRules makes every name under .test resolve to the loopback
// address, so that tests can serve other sites (evil.test) and cookies
// with a Domain (app.test), which a browser never accepts for an IP
// address.
const hostResolverRules = "MAP *.test 127.0.0.1"

// chromium returns the browser binary, or skips the test when there is none.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("SESSION_E2E_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("e2e: no Chromium found; install Debian's package (apt-get install -y chromium) or set SESSION_E2E_CHROMIUM")
	return ""
}

var (
	buildOnce sync.Once
	demoBin   string
	buildErr  error
)

// demoBinary builds cmd/demo once per test run.
func demoBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "session-e2e-")
		if err != nil {
			buildErr = err
			return
		}
		demoBin = filepath.Join(dir, "demo")
		cmd := exec.Command("go", "build", "-o", demoBin, ".")
		cmd.Dir = filepath.Join("..", "cmd", "demo")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("building the demo: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return demoBin
}

// demo is a running demo server.
type demo struct {
	url string // http://127.0.0.1:port
	out *bytes.Buffer
}

// startDemo builds and starts the demo with -insecure and the given -store,
// waits for /healthz and stops it when the test ends.
func startDemo(t *testing.T, store string) *demo {
	t.Helper()
	bin := demoBinary(t)
	addr := freeAddr(t)
	d := &demo{url: "http://" + addr, out: &bytes.Buffer{}}
	cmd := exec.Command(bin, "-addr", addr, "-store", store, "-insecure")
	cmd.Env = append(os.Environ(), "SESSION_SECRETS="+secret)
	cmd.Stdout, cmd.Stderr = d.out, d.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("demo output:\n%s", d.out)
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(d.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return d
			}
		}
		select {
		case err := <-done:
			t.Fatalf("the demo exited: %v\n%s", err, d.out)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the demo did not answer /healthz: %v\n%s", err, d.out)
		}
	}
}

// freeAddr returns a loopback address with a port nobody listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// browser is one Chromium process on one profile directory.
type browser struct {
	t       *testing.T
	ctx     context.Context // the first tab
	cancel  func()
	profile string
	once    sync.Once
}

// startBrowser starts Chromium on profile (a fresh directory unless the test
// restarts a browser on purpose). It is closed when the test ends, if the
// test did not close it first.
func startBrowser(t *testing.T, profile string) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(chromium(t)), chromedp.UserDataDir(profile)}
	for _, f := range chromiumFlags {
		opts = append(opts, chromedp.Flag(f, true))
	}
	opts = append(opts, chromedp.Flag("host-resolver-rules", hostResolverRules))
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	b := &browser{t: t, ctx: ctx, profile: profile, cancel: func() { cancel(); acancel() }}
	t.Cleanup(b.close)
	// The first Do starts the browser; it must run on ctx itself, not on a
	// context with a timeout, whose end would stop the browser.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1000, 760)); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return b
}

// close shuts the browser down gracefully, so that it writes its cookies to
// the profile as a user's browser does when it quits.
func (b *browser) close() {
	b.once.Do(func() {
		ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
		defer cancel()
		if err := chromedp.Cancel(ctx); err != nil && !errors.Is(err, context.Canceled) {
			b.t.Logf("closing Chromium: %v", err)
		}
		b.cancel()
	})
}

// newContext opens a tab in a new browser context: a separate cookie jar,
// like a second browser.
func (b *browser) newContext() context.Context {
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1000, 760)); err != nil { // opens the tab
		b.t.Fatalf("opening a browser context: %v", err)
	}
	return ctx
}

// run runs actions on the tab of ctx with a time limit.
func (b *browser) run(ctx context.Context, steps ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return chromedp.Do(ctx, steps...)
}

// must runs actions and fails the test on error.
func (b *browser) must(ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := b.run(ctx, steps...); err != nil {
		b.t.Fatal(err)
	}
}

// submit clicks the element sel and waits for the page it leads to.
func (b *browser) submit(ctx context.Context, sel string) {
	b.t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.Run(tctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(sel)))); err != nil {
		b.t.Fatalf("clicking %s: %v", sel, err)
	}
}

// eval evaluates a JavaScript expression in the tab of ctx.
func eval[T any](b *browser, ctx context.Context, js string) T {
	b.t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(tctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

// tabState is where a tab is and how far its page has loaded.
type tabState struct {
	Origin string `json:"origin"`
	Path   string `json:"path"`
	Ready  string `json:"ready"`  // document.readyState
	Status int    `json:"status"` // HTTP status of the page's response
}

const tabStateJS = `({origin: location.origin, path: location.pathname, ready: document.readyState,
	status: performance.getEntriesByType("navigation")[0]?.responseStatus ?? 0})`

// waitTab polls the tab of ctx until ok accepts its state, for at most 10
// seconds, and returns the last state seen and whether ok accepted it. It
// rides out the errors of a tab that is between two pages.
func (b *browser) waitTab(ctx context.Context, ok func(tabState) bool) (tabState, bool) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		v, err := chromedp.Run(tctx, chromedp.Evaluate[tabState](tabStateJS))
		cancel()
		if err == nil && ok(v) {
			return v, true
		}
		if time.Now().After(deadline) {
			return v, false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// path is the path of the page the tab shows.
func (b *browser) path(ctx context.Context) string {
	b.t.Helper()
	return eval[string](b, ctx, "location.pathname")
}

// text is the text of the page the tab shows.
func (b *browser) text(ctx context.Context) string {
	b.t.Helper()
	return eval[string](b, ctx, "document.body.innerText")
}

// login signs in through the demo's form and waits for the next page.
func (b *browser) login(ctx context.Context, base, email, password string, remember bool) {
	b.t.Helper()
	b.must(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), email),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), password),
	)
	if remember {
		b.must(ctx, chromedp.Click(chromedp.CSS(`input[name=remember]`)))
	}
	b.submit(ctx, `form[action="/login"] button[type=submit]`)
}

// cookie returns the browser's session cookie for base, as DevTools reports
// it, or nil when the browser has none.
func (b *browser) cookie(ctx context.Context, base string) *network.Cookie {
	b.t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	res, err := chromedp.Call(tctx, network.GetCookies, network.GetCookiesParams{URLs: []string{base + "/"}})
	if err != nil {
		b.t.Fatalf("reading cookies: %v", err)
	}
	for _, c := range res.Cookies {
		if c.Name == "__session" {
			return c
		}
	}
	return nil
}
