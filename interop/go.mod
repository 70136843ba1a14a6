module github.com/b4f9cdbb/session/interop

go 1.24.0

require (
	github.com/b4f9cdbb/session v0.1.0
	github.com/gorilla/securecookie v1.1.2
	github.com/gorilla/sessions v1.4.0
)
