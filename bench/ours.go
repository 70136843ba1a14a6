package bench

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/b4f9cdbb/session"
	"github.com/b4f9cdbb/session/codec"
	"github.com/b4f9cdbb/session/store"
	"github.com/redis/go-redis/v9"
)

// sessionHandlers are the workloads written as an application of this
// module writes them: Get, change the typed data, Commit.
func sessionHandlers(st *session.Storage[Data]) Handlers {
	return Handlers{
		Read: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, err := st.Get(r)
			if err != nil {
				failed(w, err)
				return
			}
			d := s.Get()
			if d.User == nil || d.User.Email == "" {
				notSignedIn(w)
				return
			}
			// Commit writes nothing for an unchanged session, but an
			// application calls it on reads too, to slide the idle timeout.
			if err := st.Commit(r.Context(), w, s); err != nil {
				failed(w, err)
				return
			}
			writeCount(w, d.Count)
		}),
		ReadModifyWrite: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, err := st.Get(r)
			if err != nil {
				failed(w, err)
				return
			}
			s.Update(func(d *Data) { d.Count++ })
			if err := st.Commit(r.Context(), w, s); err != nil {
				failed(w, err)
				return
			}
			writeCount(w, s.Get().Count)
		}),
		New: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, err := st.Get(r)
			if err != nil {
				failed(w, err)
				return
			}
			u := NewUser()
			s.Set(Data{Count: 1, User: &u})
			if err := st.Commit(r.Context(), w, s); err != nil {
				failed(w, err)
				return
			}
			writeCount(w, 1)
		}),
		FlashSet: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, err := st.Get(r)
			if err != nil {
				failed(w, err)
				return
			}
			if err := session.SetFlash(s, FlashKey, FlashValue); err != nil {
				failed(w, err)
				return
			}
			if err := st.Commit(r.Context(), w, s); err != nil {
				failed(w, err)
				return
			}
			writeText(w, "")
		}),
		FlashGet: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, err := st.Get(r)
			if err != nil {
				failed(w, err)
				return
			}
			msg, _ := session.TakeFlash[string](s, FlashKey)
			if err := st.Commit(r.Context(), w, s); err != nil {
				failed(w, err)
				return
			}
			writeText(w, msg)
		}),
	}
}

func sessionConfig() session.Config[Data] {
	return session.Config[Data]{Cookie: session.CookieOptions{Secrets: []string{secret}}}
}

func noClose() error { return nil }

// openSessionSigned: the whole session in a cookie signed with
// HMAC-SHA256 (readable by the user).
func openSessionSigned(Env) (Handlers, func() error, error) {
	cfg := sessionConfig()
	c, err := codec.NewSigned(secret)
	if err != nil {
		return Handlers{}, nil, err
	}
	cfg.Codec = c
	st, err := session.NewCookieStorage(cfg)
	if err != nil {
		return Handlers{}, nil, err
	}
	return sessionHandlers(st), noClose, nil
}

// openSessionSealed: the whole session in a cookie sealed with
// AES-256-GCM (the default).
func openSessionSealed(Env) (Handlers, func() error, error) {
	st, err := session.NewCookieStorage(sessionConfig())
	if err != nil {
		return Handlers{}, nil, err
	}
	return sessionHandlers(st), noClose, nil
}

// serverSide builds a Storage on st; closeStore is called by close.
func serverSide(st store.Store, closeStore func() error) (Handlers, func() error, error) {
	s, err := session.NewStorage(st, sessionConfig())
	if err != nil {
		_ = closeStore()
		return Handlers{}, nil, err
	}
	return sessionHandlers(s), closeStore, nil
}

// openServerSide returns the Open of the adapter that keeps records in
// the backend called name (OpenBackend), a signed ID in the cookie.
func openServerSide(name string) func(env Env) (Handlers, func() error, error) {
	return func(env Env) (Handlers, func() error, error) {
		b, err := OpenBackend(name, env, BackendConfig{})
		if err != nil {
			return Handlers{}, nil, err
		}
		return serverSide(b.Store, b.Close)
	}
}

func ping(c *redis.Client) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("bench: Redis at %s: %w", c.Options().Addr, err)
	}
	return nil
}

// deletePrefix removes every key under prefix (a bounded SCAN).
func deletePrefix(c *redis.Client, prefix string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var cursor uint64
	for range 100000 {
		keys, next, err := c.Scan(ctx, cursor, prefix+"*", 1000).Result()
		if err != nil {
			return fmt.Errorf("bench: cleaning up %s*: %w", prefix, err)
		}
		if len(keys) > 0 {
			if err := c.Unlink(ctx, keys...).Err(); err != nil {
				return fmt.Errorf("bench: cleaning up %s*: %w", prefix, err)
			}
		}
		if cursor = next; cursor == 0 {
			return nil
		}
	}
	return fmt.Errorf("bench: cleaning up %s*: too many keys", prefix)
}
