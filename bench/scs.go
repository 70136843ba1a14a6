package bench

import (
	"errors"
	"net/http"
	"time"

	scsredis "github.com/alexedwards/scs/redisstore"
	"github.com/alexedwards/scs/v2"
	redigo "github.com/gomodule/redigo/redis"
	"github.com/redis/go-redis/v9"
)

// scsHandlers are the workloads written as an application of
// github.com/alexedwards/scs/v2 writes them: each handler behind the
// manager's LoadAndSave middleware (which loads the session and commits it
// when the response is written), Get/Put/Pop on the request's context.
func scsHandlers(sm *scs.SessionManager) Handlers {
	return Handlers{
		Read: sm.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u, ok := sm.Get(r.Context(), "user").(User)
			if !ok || u.Email == "" {
				notSignedIn(w)
				return
			}
			writeCount(w, sm.GetInt(r.Context(), "count"))
		})),
		ReadModifyWrite: sm.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := sm.GetInt(r.Context(), "count") + 1
			sm.Put(r.Context(), "count", n)
			writeCount(w, n)
		})),
		New: sm.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sm.Put(r.Context(), "count", 1)
			sm.Put(r.Context(), "user", NewUser())
			writeCount(w, 1)
		})),
		FlashSet: sm.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sm.Put(r.Context(), FlashKey, FlashValue)
			writeText(w, "")
		})),
		FlashGet: sm.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeText(w, sm.PopString(r.Context(), FlashKey))
		})),
	}
}

// openSCSMemory: scs's default, records in this process (memstore).
//
// scs.New starts a memstore whose cleanup goroutine (one wake-up a minute)
// is left running: memstore.StopCleanup reads the stop channel that the
// goroutine itself creates, a data race (and a no-op if it comes first).
func openSCSMemory(Env) (Handlers, func() error, error) {
	sm := scs.New()
	sm.Cookie.Name = cookieName
	return scsHandlers(sm), noClose, nil
}

// openSCSRedis: scs's Redis store (redigo), under a random prefix removed
// by close. The pool keeps as many idle connections as go-redis's default
// pool holds on two cores, so that neither dials per request.
func openSCSRedis(env Env) (Handlers, func() error, error) {
	if env.RedisAddr == "" {
		return Handlers{}, nil, notSet(EnvRedis)
	}
	admin := redis.NewClient(&redis.Options{Addr: env.RedisAddr})
	if err := ping(admin); err != nil {
		_ = admin.Close()
		return Handlers{}, nil, err
	}
	addr := env.RedisAddr
	pool := &redigo.Pool{
		MaxIdle:     20,
		IdleTimeout: time.Minute,
		Dial: func() (redigo.Conn, error) {
			return redigo.Dial("tcp", addr, redigo.DialConnectTimeout(5*time.Second),
				redigo.DialReadTimeout(5*time.Second), redigo.DialWriteTimeout(5*time.Second))
		},
	}
	prefix := randomPrefix("scs")
	sm := scs.New()
	sm.Cookie.Name = cookieName
	sm.Store = scsredis.NewWithPrefix(pool, prefix)
	return scsHandlers(sm), func() error {
		err := deletePrefix(admin, prefix)
		return errors.Join(err, pool.Close(), admin.Close())
	}, nil
}
