package session

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// eachCookie calls fn with the value of every cookie called name in the
// request's Cookie headers, until fn returns false. It reads the header in
// place, without building every cookie of the request as r.Cookies does.
func eachCookie(h http.Header, name string, fn func(value string) bool) {
	for _, line := range h["Cookie"] {
		for len(line) > 0 {
			var part string
			part, line, _ = strings.Cut(line, ";")
			part = strings.TrimLeft(part, " \t")
			if len(part) <= len(name) || part[len(name)] != '=' || part[:len(name)] != name {
				continue
			}
			value := strings.TrimRight(part[len(name)+1:], " \t")
			if len(value) > 1 && value[0] == '"' && value[len(value)-1] == '"' {
				value = value[1 : len(value)-1]
			}
			if !fn(value) {
				return
			}
		}
	}
}

// expiredDate is the Expires attribute of a deletion cookie.
const expiredDate = "Thu, 01 Jan 1970 00:00:00 GMT"

// appendStart appends "name=" to dst; the caller appends the value and
// then calls appendAttrs.
func (c *cookieSpec) appendStart(dst []byte) []byte {
	dst = append(dst, c.name...)
	return append(dst, '=')
}

// appendAttrs appends the attributes after the value. A persistent cookie
// gets Max-Age (and Expires, for old browsers) counting to expires.
func (c *cookieSpec) appendAttrs(dst []byte, persistent bool, now, expires time.Time) []byte {
	dst = append(dst, c.pre...)
	if persistent {
		secs := int64(expires.Sub(now) / time.Second)
		if secs < 1 {
			secs = 1
		}
		dst = append(dst, "; Max-Age="...)
		dst = strconv.AppendInt(dst, secs, 10)
		dst = append(dst, "; Expires="...)
		dst = now.Add(time.Duration(secs)*time.Second).UTC().AppendFormat(dst, http.TimeFormat)
	}
	return append(dst, c.post...)
}

// deletion returns a Set-Cookie value that makes the browser drop the
// cookie called name, with the same Path and Domain as ours.
func (c *cookieSpec) deletion(name string) string {
	return name + "=" + c.pre + "; Max-Age=0; Expires=" + expiredDate + c.post
}

// deletionAt is deletion for a cookie set with another Path and Domain
// (a legacy cookie): a browser only drops a cookie whose Path and Domain
// match the ones it was set with.
func (c *cookieSpec) deletionAt(name, path, domain string) string {
	attrs := "; Path=" + path
	if domain != "" {
		attrs += "; Domain=" + strings.TrimPrefix(domain, ".")
	}
	return name + "=" + attrs + "; Max-Age=0; Expires=" + expiredDate + c.post
}

// markVary says that the response depends on the request's cookies, so
// that a shared cache never serves one user's page to another.
func markVary(h http.Header) {
	if !headerHasToken(h, "Vary", "Cookie") {
		h["Vary"] = append(h["Vary"], "Cookie")
	}
}

// markUncacheable adds the header that stops a shared cache from storing a
// response with a Set-Cookie and serving it to another user.
func markUncacheable(h http.Header) {
	cc := ""
	if v := h["Cache-Control"]; len(v) > 0 {
		cc = strings.Join(v, ", ")
	}
	switch {
	case cc == "":
		// A slice of its own: a handler may edit the header in place.
		h["Cache-Control"] = []string{`no-cache="Set-Cookie"`}
	case !strings.Contains(cc, "no-store") && !strings.Contains(cc, "private") && !strings.Contains(cc, "no-cache"):
		h["Cache-Control"] = []string{cc + `, no-cache="Set-Cookie"`}
	}
}

func headerHasToken(h http.Header, key, token string) bool {
	for _, v := range h[key] {
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); strings.EqualFold(t, token) || t == "*" {
				return true
			}
		}
	}
	return false
}
