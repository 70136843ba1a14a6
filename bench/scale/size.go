package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/b4f9cdbb/session"
	"github.com/b4f9cdbb/session/bench"
	"github.com/b4f9cdbb/session/codec"
)

// sized is a session of a chosen size: the bench's counter and user, and
// padding.
type sized struct {
	Count int         `json:"count"`
	User  *bench.User `json:"user,omitempty"`
	Pad   string      `json:"pad"`
}

// sizedData returns a session whose JSON is size bytes (or the smallest
// possible, when size is smaller).
func sizedData(size int) sized {
	u := bench.NewUser()
	d := sized{Count: 1, User: &u}
	base, _ := json.Marshal(d)
	if n := size - len(base); n > 0 {
		// Letters only, so that JSON escapes nothing.
		d.Pad = strings.Repeat("abcdefghijklmnopqrstuvwxyz", n/26+1)[:n]
	}
	return d
}

// Test-only fixed secret: the benchmark's secrets are not secret.
const secret = "sq3Vn8ZrT1wXy5Lp0Bm7Hs2Dc9Fg4Ja6"

// cookieStorages are the storages that keep the whole session in the
// cookie; every other name is a backend (bench.OpenBackend).
var cookieStorages = []string{"signed", "sealed"}

// openSized returns the storage called name for sized sessions.
func openSized(name string, env bench.Env) (*session.Storage[sized], func() error, error) {
	cfg := session.Config[sized]{Cookie: session.CookieOptions{Secrets: []string{secret}}}
	switch name {
	case "signed":
		c, err := codec.NewSigned(secret)
		if err != nil {
			return nil, nil, err
		}
		cfg.Codec = c
		fallthrough
	case "sealed":
		sessions, err := session.NewCookieStorage(cfg)
		return sessions, func() error { return nil }, err
	}
	b, err := bench.OpenBackend(name, env, bench.BackendConfig{})
	if err != nil {
		return nil, nil, err
	}
	sessions, err := session.NewStorage(b.Store, cfg)
	if err != nil {
		return nil, nil, errors.Join(err, b.Close())
	}
	return sessions, b.Close, nil
}

// newSession commits a new session holding d and returns the request a
// browser sends next, or the Commit error.
func newSession(ctx context.Context, sessions *session.Storage[sized], d sized) (*http.Request, error) {
	base := bench.Bare()
	s, err := sessions.Get(base)
	if err != nil {
		return nil, err
	}
	s.Set(d)
	w := httptest.NewRecorder()
	if err := sessions.Commit(ctx, w, s); err != nil {
		return nil, err
	}
	return bench.Next(base, w), nil
}

// largestCookie returns the largest session size, between fits (which
// does) and tooLarge (which does not), that a cookie storage can commit.
func largestCookie(ctx context.Context, sessions *session.Storage[sized], fits, tooLarge int) int {
	for tooLarge-fits > 1 {
		mid := (fits + tooLarge) / 2
		if _, err := newSession(ctx, sessions, sizedData(mid)); err == nil {
			fits = mid
		} else {
			tooLarge = mid
		}
	}
	return fits
}

// sizeVsStore times, through the session layer as a handler does, a Read
// (Get, then Commit of the unchanged session) and a read-modify-write (Get,
// Update, Commit) of one session of each size. Cookie storages stop at the
// largest session whose cookie fits in 4096 bytes, which is measured as
// the last point.
func sizeVsStore(ctx context.Context, r *Results, name string, env bench.Env, sizes []int, sm sampler) error {
	sessions, closeFn, err := openSized(name, env)
	if err != nil {
		return err
	}
	defer func() {
		if err := closeFn(); err != nil {
			logf("size     %s: close: %v", name, err)
		}
	}()
	fits := 0
	for _, size := range sizes {
		req, err := newSession(ctx, sessions, sizedData(size))
		if errors.Is(err, session.ErrCookieTooLarge) && fits > 0 {
			size = largestCookie(ctx, sessions, fits, size)
			logf("size     %-8s the largest session whose cookie fits: %d bytes", name, size)
			if req, err = newSession(ctx, sessions, sizedData(size)); err != nil {
				return err
			}
			if err := timeSized(ctx, r, name, sessions, req, size, sm); err != nil {
				return err
			}
			break
		}
		if err != nil {
			return fmt.Errorf("%s: a %d-byte session: %w", name, size, err)
		}
		fits = size
		if err := timeSized(ctx, r, name, sessions, req, size, sm); err != nil {
			return err
		}
	}
	return nil
}

// timeSized times Read and read-modify-write requests carrying req's
// cookie.
func timeSized(ctx context.Context, r *Results, name string, sessions *session.Storage[sized], req *http.Request, size int, sm sampler) error {
	read := http.HandlerFunc(func(w http.ResponseWriter, rq *http.Request) {
		s, err := sessions.Get(rq)
		if err == nil && s.Get().User == nil {
			err = errors.New("the session has no user")
		}
		if err == nil {
			err = sessions.Commit(rq.Context(), w, s)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte(strconv.Itoa(s.Get().Count)))
	})
	rmw := http.HandlerFunc(func(w http.ResponseWriter, rq *http.Request) {
		s, err := sessions.Get(rq)
		if err == nil {
			s.Update(func(d *sized) { d.Count++ })
			err = sessions.Commit(rq.Context(), w, s)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte(strconv.Itoa(s.Get().Count)))
	})
	for _, op := range []struct {
		name string
		h    http.Handler
	}{{"read", read}, {"commit", rmw}} {
		var ds []time.Duration
		err := sm.run(func() error {
			t0 := time.Now()
			w := bench.Do(op.h, req.WithContext(ctx))
			ds = append(ds, time.Since(t0))
			if w.Code != http.StatusOK {
				return fmt.Errorf("%s: %s of a %d-byte session answered %d %s", name, op.name, size, w.Code, strings.TrimSpace(w.Body.String()))
			}
			return nil
		})
		if err != nil {
			return err
		}
		r.add("size", name, op.name, float64(size), ds)
	}
	logf("size     %-8s %6d bytes: done", name, size)
	return nil
}
