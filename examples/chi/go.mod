module github.com/b4f9cdbb/session/examples/chi

go 1.24

require (
	github.com/b4f9cdbb/session v0.0.0
	github.com/b4f9cdbb/session/examples/exampletest v0.0.0
	github.com/go-chi/chi/v5 v5.5.0
)

replace (
	github.com/b4f9cdbb/session => ../..
	github.com/b4f9cdbb/session/examples/exampletest => ../exampletest
)
