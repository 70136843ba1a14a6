package main

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"sync"
	"testing"
)

// TestParallelRequestsOfOneSession: a browser sends several requests of one
// session at once (parallel fetches, tabs). 8 clients sharing one signed-in
// cookie send 10 GET / each: every answer is 200 (never 409 or 500) and
// every visit counts, on every store of the demo.
func TestParallelRequestsOfOneSession(t *testing.T) {
	for name, dsn := range demoStores(t) {
		if name == "cookie" {
			continue // the browser keeps the last cookie: nothing to count
		}
		t.Run(name, func(t *testing.T) {
			base := startDemo(t, name, dsn)
			c := newClient(t, base)
			c.expectRedirect("POST", "/login", url.Values{"email": {"demo@example.com"}, "password": {"password"}}, "/dashboard")
			cookie := c.sessionCookie()
			const clients, each = 8, 10
			var (
				wg     sync.WaitGroup
				mu     sync.Mutex
				status = map[int]int{}
			)
			for range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range each {
						req, _ := http.NewRequest("GET", base+"/", nil)
						req.AddCookie(&http.Cookie{Name: "__session", Value: cookie})
						resp, err := http.DefaultClient.Do(req)
						if err != nil {
							t.Error(err)
							return
						}
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						mu.Lock()
						status[resp.StatusCode]++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			if status[http.StatusOK] != clients*each {
				t.Errorf("answers by status: %v; want %d × 200", status, clients*each)
			}
			_, body := c.do("GET", "/", nil)
			m := regexp.MustCompile(`visited this page (\d+) time`).FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("no counter in the page: %q", body)
			}
			if n, _ := strconv.Atoi(m[1]); n != clients*each+1 {
				t.Errorf("counter %d after %d parallel visits and one more, want %d: visits were lost", n, clients*each, clients*each+1)
			}
		})
	}
}
