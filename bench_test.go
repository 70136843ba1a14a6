package session

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The benchmarks: one op is one request through an http.Handler, with a
// fresh httptest.ResponseRecorder and a request carrying the session cookie
// (built once, as a server's request parsing is not ours to measure).
// Run: go test -run '^$' -bench . -benchmem -count 10 .

type benchUser struct {
	ID    int64    `json:"id"`
	Email string   `json:"email"`
	Roles []string `json:"roles"`
}

type benchData struct {
	Count int        `json:"count"`
	User  *benchUser `json:"user,omitempty"`
}

const benchSecret = "bq3Vn8ZrT1wXy5Lp0Bm7Hs2Dc9Fg4Ja6"

func benchStorages(b *testing.B) map[string]*Storage[benchData] {
	cfg := Config[benchData]{Cookie: CookieOptions{Secrets: []string{benchSecret}}}
	sealed, err := NewCookieStorage(cfg)
	if err != nil {
		b.Fatal(err)
	}
	signedCfg := cfg
	signedCfg.Codec = mustSigned(b, benchSecret)
	signed, err := NewCookieStorage(signedCfg)
	if err != nil {
		b.Fatal(err)
	}
	mem, err := NewStorage(newSpyStore(b, nil).Store, cfg)
	if err != nil {
		b.Fatal(err)
	}
	return map[string]*Storage[benchData]{"SignedCookie": signed, "SealedCookie": sealed, "Memory": mem}
}

// benchRequest returns a request carrying a committed session with a user
// and a counter.
func benchRequest(b *testing.B, st *Storage[benchData]) *http.Request {
	s := st.fresh()
	s.Set(benchData{Count: 1, User: &benchUser{ID: 42, Email: "user@example.com", Roles: []string{"admin", "staff"}}})
	w := httptest.NewRecorder()
	if err := st.Commit(b.Context(), w, s); err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(w.Result().Cookies()[0])
	return r
}

func runBench(b *testing.B, fn func(b *testing.B, st *Storage[benchData])) {
	for name, st := range benchStorages(b) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			fn(b, st)
		})
	}
}

// BenchmarkRead: load an existing session and read two fields.
func BenchmarkRead(b *testing.B) {
	runBench(b, func(b *testing.B, st *Storage[benchData]) {
		r := benchRequest(b, st)
		h := func(w http.ResponseWriter, r *http.Request) {
			s, err := st.Get(r)
			if err != nil || s.Get().User.Email == "" || s.Get().Count == 0 {
				b.Fatal("session not loaded", err)
			}
		}
		for b.Loop() {
			h(httptest.NewRecorder(), r)
		}
	})
}

// BenchmarkReadModifyWrite: load, increment the counter, commit.
func BenchmarkReadModifyWrite(b *testing.B) {
	runBench(b, func(b *testing.B, st *Storage[benchData]) {
		r := benchRequest(b, st)
		h := func(w http.ResponseWriter, r *http.Request) {
			s, err := st.Get(r)
			if err != nil || s.IsNew() {
				b.Fatal("session not loaded", err)
			}
			s.Update(func(d *benchData) { d.Count++ })
			if err := st.Commit(r.Context(), w, s); err != nil {
				b.Fatal(err)
			}
		}
		for b.Loop() {
			h(httptest.NewRecorder(), r)
		}
	})
}

// BenchmarkNew: no cookie; create a session, set a user, commit.
func BenchmarkNew(b *testing.B) {
	runBench(b, func(b *testing.B, st *Storage[benchData]) {
		r := httptest.NewRequest("GET", "/", nil)
		h := func(w http.ResponseWriter, r *http.Request) {
			s, _ := st.Get(r)
			s.Update(func(d *benchData) {
				d.User = &benchUser{ID: 42, Email: "user@example.com", Roles: []string{"admin"}}
			})
			if err := st.Commit(r.Context(), w, s); err != nil {
				b.Fatal(err)
			}
		}
		for b.Loop() {
			h(httptest.NewRecorder(), r)
		}
	})
}

// BenchmarkFlash: one op is a pair of requests, the first sets a flash
// message, the second reads it (and commits its removal).
func BenchmarkFlash(b *testing.B) {
	runBench(b, func(b *testing.B, st *Storage[benchData]) {
		r := benchRequest(b, st)
		set := func(w http.ResponseWriter, r *http.Request) {
			s, _ := st.Get(r)
			SetFlash(s, "notice", "Saved")
			if err := st.Commit(r.Context(), w, s); err != nil {
				b.Fatal(err)
			}
		}
		get := func(w http.ResponseWriter, r *http.Request) {
			s, _ := st.Get(r)
			if msg, ok := TakeFlash[string](s, "notice"); !ok || msg != "Saved" {
				b.Fatal("flash not delivered")
			}
			if err := st.Commit(r.Context(), w, s); err != nil {
				b.Fatal(err)
			}
		}
		for b.Loop() {
			w := httptest.NewRecorder()
			set(w, r)
			r2 := r
			if sc := w.Header()["Set-Cookie"]; len(sc) > 0 {
				// Cookie storage: the next request carries the new cookie,
				// as a browser would send it ("name=value").
				pair, _, _ := strings.Cut(sc[0], ";")
				next := *r
				next.Header = http.Header{"Cookie": {pair}}
				r2 = &next
			}
			get(httptest.NewRecorder(), r2)
		}
	})
}

// BenchmarkHooks: what Config.Hooks cost on a read-modify-write of a
// server-side session. "Unset" must match BenchmarkReadModifyWrite/Memory;
// "Noop" is the price of the calls themselves.
func BenchmarkHooks(b *testing.B) {
	noop := Hooks{
		Load:      func(context.Context, LoadEvent) {},
		Commit:    func(context.Context, CommitEvent) {},
		Lifecycle: func(context.Context, LifecycleEvent) {},
		StoreCall: func(ctx context.Context, _ StoreOp) (context.Context, func(error, time.Duration)) {
			return ctx, func(error, time.Duration) {}
		},
	}
	for _, bc := range []struct {
		name  string
		hooks Hooks
	}{{"Unset", Hooks{}}, {"Noop", noop}} {
		b.Run(bc.name, func(b *testing.B) {
			cfg := Config[benchData]{Cookie: CookieOptions{Secrets: []string{benchSecret}}, Hooks: bc.hooks}
			st, err := NewStorage(newSpyStore(b, nil).Store, cfg)
			if err != nil {
				b.Fatal(err)
			}
			r := benchRequest(b, st)
			b.ReportAllocs()
			for b.Loop() {
				s, err := st.Get(r)
				if err != nil || s.IsNew() {
					b.Fatal("session not loaded", err)
				}
				s.Update(func(d *benchData) { d.Count++ })
				if err := st.Commit(r.Context(), httptest.NewRecorder(), s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeData: the JSON decode of a session's data, as a Read does
// it (Storage, over a fresh copy of the defaults) and as json.Unmarshal
// alone does it: the Read's part of what BENCHMARKS.md calls "one JSON
// decode of the data".
func BenchmarkDecodeData(b *testing.B) {
	st := benchStorages(b)["SealedCookie"]
	data, err := st.cfg.Serializer.Marshal(benchData{Count: 1, User: &benchUser{ID: 42, Email: "user@example.com", Roles: []string{"admin", "staff"}}})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("Storage", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			d := st.newDefaults()
			if err := st.decodeData(data, &d); err != nil || d.User == nil {
				b.Fatal("not decoded", err)
			}
		}
	})
	b.Run("Unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var d benchData
			if err := json.Unmarshal(data, &d); err != nil || d.User == nil {
				b.Fatal("not decoded", err)
			}
		}
	})
}

// BenchmarkEncodeData: the JSON encode of a session's data, as a commit
// does it (Storage) and as json.Marshal alone does it.
func BenchmarkEncodeData(b *testing.B) {
	st := benchStorages(b)["Memory"]
	d := benchData{Count: 1, User: &benchUser{ID: 42, Email: "user@example.com", Roles: []string{"admin", "staff"}}}
	b.Run("Storage", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if data, err := st.encodeData(&d); err != nil || len(data) == 0 {
				b.Fatal("not encoded", err)
			}
		}
	})
	b.Run("Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if data, err := json.Marshal(d); err != nil || len(data) == 0 {
				b.Fatal("not encoded", err)
			}
		}
	})
}
