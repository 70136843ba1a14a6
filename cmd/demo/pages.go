package main

import (
	"embed"
	"html/template"
	"net/http"
)

// assets are the pages' style sheet and script. They are files, not inline
// <style> and <script>, so that the content security policy can forbid
// inline code (see protect.go).
//
//go:embed assets
var assets embed.FS

// serveAsset serves the file of assets that the request's path names.
func serveAsset(w http.ResponseWriter, r *http.Request) {
	http.ServeFileFS(w, r, assets, "assets/"+r.PathValue("name"))
}

const layout = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Session demo</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/assets/demo.css">
<script src="/assets/demo.js"></script></head><body>
<nav><a href="/">Home</a><a href="/login">Login</a><a href="/dashboard">Dashboard</a></nav>
{{block "content" .}}{{end}}
</body></html>`

func page(content string) *template.Template {
	t := template.Must(template.New("layout").Parse(layout))
	return template.Must(t.New("content").Parse(content))
}

var (
	homePage = page(`<h1>Session demo</h1>
<p id="count">You visited this page {{.Count}} times</p>
{{with .User}}<p>Signed in as {{.Email}}.</p>{{end}}`)

	loginPage = page(`<h1>Login</h1>
{{with .Error}}<p class="error" id="error">{{.}}</p>{{end}}
<form method="post" action="/login">
<label>Email <input type="email" name="email" autocomplete="username" required></label>
<label>Password <input type="password" name="password" autocomplete="current-password" required></label>
<label><input type="checkbox" name="remember" value="on"> Remember me</label>
<button type="submit">Sign in</button>
</form>
<p>Try demo@example.com / password.</p>`)

	dashboardPage = page(`<h1>Dashboard</h1>
<p id="email">Signed in as {{.Email}}</p>
<p>You visited the home page {{.Count}} times.</p>
{{if .ListSessions}}<h2>Your active sessions</h2>
<table id="sessions"><tr><th>Session</th><th>Started</th><th>Last seen</th><th></th></tr>
{{range .Sessions}}<tr><td><code>{{printf "%.12s" .Key.String}}</code>{{if .Current}} (this browser){{end}}</td>
<td>{{.Created.Format "2006-01-02 15:04:05"}}</td><td>{{.Updated.Format "2006-01-02 15:04:05"}}</td>
<td>{{if not .Current}}<form class="inline" method="post" action="/sessions/revoke"><input type="hidden" name="key" value="{{.Key.String}}"><button type="submit">Revoke</button></form>{{end}}</td></tr>
{{end}}</table>{{end}}
<form method="post" action="/logout"><button type="submit" id="logout">Log out</button></form>`)
)

func render(w http.ResponseWriter, t *template.Template, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := t.ExecuteTemplate(w, "layout", data); err != nil {
		http.Error(w, "rendering failed", http.StatusInternalServerError)
	}
}
