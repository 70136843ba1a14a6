// Package gorilla checks package gorillacompat against cookies made by the
// real github.com/gorilla/sessions CookieStore (and gorilla/securecookie).
package gorilla

import (
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/b4f9cdbb/session"
	"github.com/b4f9cdbb/session/codec"
	"github.com/b4f9cdbb/session/gorillacompat"
	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
)

// Profile is a user type the old application stored in its sessions,
// registered with gob as gorilla requires.
type Profile struct {
	Email string
	Roles []string
}

func init() { gob.Register(Profile{}) }

var (
	hashKey  = []byte("gorilla-hash-key-0123456789abcdef0123456789abcdef0123456789abcd")
	blockKey = []byte("gorilla-block-key-32-bytes-long!")
	oldHash  = []byte("the previous hash key, still accepted by the old app")
	oldBlock = []byte("previous-aes-128")
)

const cookieName = "app-session"

// gorillaCookie saves values with a real gorilla CookieStore built from
// keyPairs and returns the cookie it set.
func gorillaCookie(t *testing.T, values map[any]any, keyPairs ...[]byte) *http.Cookie {
	t.Helper()
	store := sessions.NewCookieStore(keyPairs...)
	r := httptest.NewRequest("GET", "https://old.example/", nil)
	s, err := store.New(r, cookieName)
	if err != nil && !s.IsNew {
		t.Fatal(err)
	}
	for k, v := range values {
		s.Values[k] = v
	}
	w := httptest.NewRecorder()
	if err := store.Save(r, w, s); err != nil {
		t.Fatal(err)
	}
	cookies := w.Result().Cookies()
	if len(cookies) != 1 || cookies[0].Name != cookieName {
		t.Fatalf("gorilla set %v", cookies)
	}
	return cookies[0]
}

func sample() map[any]any {
	return map[any]any{
		"user":    "zoë 🎉",
		"count":   42,
		"admin":   true,
		"ratio":   0.25,
		"tags":    []string{"a", "b"},
		7:         "an int key",
		"profile": Profile{Email: "demo@example.com", Roles: []string{"editor"}},
	}
}

func TestReadRealGorillaCookies(t *testing.T) {
	for _, tc := range []struct {
		name  string
		pairs [][]byte
		opts  gorillacompat.Options
	}{
		{"hash-only", [][]byte{hashKey}, gorillacompat.Options{Name: cookieName, HashKey: hashKey}},
		{"hash+aes256", [][]byte{hashKey, blockKey}, gorillacompat.Options{Name: cookieName, HashKey: hashKey, BlockKey: blockKey}},
		{"hash+aes128", [][]byte{hashKey, oldBlock}, gorillacompat.Options{Name: cookieName, HashKey: hashKey, BlockKey: oldBlock}},
		{"rotated", [][]byte{oldHash, oldBlock}, gorillacompat.Options{Name: cookieName, HashKey: hashKey, BlockKey: blockKey,
			OlderKeys: []gorillacompat.KeyPair{{HashKey: oldHash, BlockKey: oldBlock}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := gorillaCookie(t, sample(), tc.pairs...)
			r, err := gorillacompat.NewReader(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.Decode(c.Value, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, sample()) {
				t.Errorf("read %#v\nwant %#v", got, sample())
			}
			// What gorilla reads, we read, and the other way round.
			var back map[any]any
			if err := securecookie.DecodeMulti(cookieName, c.Value, &back, securecookie.CodecsFromPairs(tc.pairs...)...); err != nil || !reflect.DeepEqual(back, got) {
				t.Errorf("gorilla itself reads %v, %v", back, err)
			}
		})
	}
}

func TestRejectsBadGorillaCookies(t *testing.T) {
	c := gorillaCookie(t, map[any]any{"user": "a"}, hashKey, blockKey)
	r, err := gorillacompat.NewReader(gorillacompat.Options{Name: cookieName, HashKey: hashKey, BlockKey: blockKey})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	// Tampered: every character changed in turn.
	for i := range len(c.Value) {
		b := []byte(c.Value)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		if v, err := r.Decode(string(b), now); err == nil {
			t.Errorf("tampered at %d: accepted %v", i, v)
		}
	}
	for what, tc := range map[string]struct {
		value string
		opts  gorillacompat.Options
		now   time.Time
		want  error
	}{
		"wrong hash key":  {c.Value, gorillacompat.Options{Name: cookieName, HashKey: oldHash, BlockKey: blockKey}, now, codec.ErrInvalid},
		"wrong name":      {c.Value, gorillacompat.Options{Name: "other", HashKey: hashKey, BlockKey: blockKey}, now, codec.ErrInvalid},
		"expired default": {c.Value, gorillacompat.Options{Name: cookieName, HashKey: hashKey, BlockKey: blockKey}, now.Add(31 * 24 * time.Hour), codec.ErrExpired},
		"expired MaxAge":  {c.Value, gorillacompat.Options{Name: cookieName, HashKey: hashKey, BlockKey: blockKey, MaxAge: time.Hour}, now.Add(2 * time.Hour), codec.ErrExpired},
		"truncated":       {c.Value[:len(c.Value)-4], gorillacompat.Options{Name: cookieName, HashKey: hashKey, BlockKey: blockKey}, now, codec.ErrInvalid},
		"oversized":       {strings.Repeat(c.Value, 4096/len(c.Value)+1), gorillacompat.Options{Name: cookieName, HashKey: hashKey, BlockKey: blockKey}, now, codec.ErrInvalid},
	} {
		rd, err := gorillacompat.NewReader(tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		if v, err := rd.Decode(tc.value, tc.now); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, %v; want %v", what, v, err, tc.want)
		}
	}
	// A wrong block key passes the MAC but cannot be decoded.
	rd, _ := gorillacompat.NewReader(gorillacompat.Options{Name: cookieName, HashKey: hashKey, BlockKey: oldBlock})
	if v, err := rd.Decode(c.Value, now); err == nil {
		t.Errorf("wrong block key: accepted %v", v)
	}
}

// Data is the new application's session type.
type Data struct {
	Count int      `json:"count"`
	Email string   `json:"email"`
	Roles []string `json:"roles"`
}

func convert(v map[any]any) (Data, error) {
	p, ok := v["profile"].(Profile)
	if !ok {
		return Data{}, fmt.Errorf("no profile in the old session")
	}
	n, _ := v["count"].(int)
	return Data{Count: n, Email: p.Email, Roles: p.Roles}, nil
}

// TestMigrationEndToEnd: a request with a real gorilla cookie gets a typed
// session with the converted data, the response replaces the old cookie
// with a new one, and the next request reads the new one.
func TestMigrationEndToEnd(t *testing.T) {
	legacy, err := gorillacompat.Cookie(gorillacompat.Options{Name: cookieName, HashKey: hashKey, BlockKey: blockKey}, convert)
	if err != nil {
		t.Fatal(err)
	}
	st, err := session.NewCookieStorage(session.Config[Data]{
		Cookie: session.CookieOptions{Secrets: []string{"9fK2pQ7xLm4vT8sW1zR6yB3nH5jD0cGa"}},
		Legacy: []session.LegacyCookie[Data]{legacy},
	})
	if err != nil {
		t.Fatal(err)
	}
	old := gorillaCookie(t, sample(), hashKey, blockKey)
	r := httptest.NewRequest("GET", "https://app.example/", nil)
	r.AddCookie(old)
	s, err := st.Get(r)
	if err != nil {
		t.Fatal(err)
	}
	want := Data{Count: 42, Email: "demo@example.com", Roles: []string{"editor"}}
	if !reflect.DeepEqual(s.Get(), want) {
		t.Fatalf("migrated session %+v, want %+v", s.Get(), want)
	}
	s.Update(func(d *Data) { d.Count++ })
	w := httptest.NewRecorder()
	if err := st.Commit(context.Background(), w, s); err != nil {
		t.Fatal(err)
	}
	var fresh *http.Cookie
	cleared := false
	for _, c := range w.Result().Cookies() {
		switch c.Name {
		case st.CookieName():
			fresh = c
		case cookieName:
			cleared = c.MaxAge < 0 && c.Value == ""
		}
	}
	if fresh == nil || !cleared {
		t.Fatalf("commit set %q; want the new cookie and the old one cleared", w.Header().Values("Set-Cookie"))
	}
	r2 := httptest.NewRequest("GET", "https://app.example/", nil)
	r2.AddCookie(fresh)
	s2, err := st.Get(r2)
	if err != nil || s2.IsNew() || s2.Get().Count != 43 || s2.Get().Email != "demo@example.com" {
		t.Errorf("next request: %+v, new %v, %v, %v", s2.Get(), s2.IsNew(), err, s2.LoadError())
	}
	// A forged or expired old cookie gives an empty session.
	for _, v := range []string{old.Value[:20] + "A" + old.Value[21:], gorillaCookie(t, sample(), oldHash).Value} {
		r3 := httptest.NewRequest("GET", "https://app.example/", nil)
		r3.AddCookie(&http.Cookie{Name: cookieName, Value: v})
		if s3, _ := st.Get(r3); !reflect.DeepEqual(s3.Get(), Data{}) {
			t.Errorf("bad old cookie migrated to %+v", s3.Get())
		}
	}
}
