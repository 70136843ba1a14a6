module github.com/b4f9cdbb/session/examples/exampletest

go 1.24.0

require github.com/b4f9cdbb/session v0.1.0
