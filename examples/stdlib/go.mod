module github.com/b4f9cdbb/session/examples/stdlib

go 1.24.0

require (
	github.com/b4f9cdbb/session v0.1.0
	github.com/b4f9cdbb/session/examples/exampletest v0.1.0
)
