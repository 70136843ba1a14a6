// Command modproxy writes every module of this repository, at one version,
// as a Go module proxy on disk: the layout that GOPROXY=file://DIR reads
// (<module>/@v/list, <version>.info, <version>.mod, <version>.zip).
//
// It is how CI proves that the modules install as they will once tagged:
// a consumer outside the repository fetches them through the file proxy
// instead of go.work or replace directives (scripts/consumer-check.sh), and
// each module builds alone against the others' zips.
//
// Each zip holds what the go command would zip from a git tag of the working
// tree: the module's files that git tracks or would track (ignored files are
// left out), without the directories of nested modules, without vendored
// packages, symbolic links or other irregular files; a sub-module without a
// LICENSE of its own gets the repository's LICENSE, as the go command does.
// A file name that a module zip may not hold is an error, not a silent skip.
//
// Usage, from the repository root:
//
//	go run ./internal/modproxy -out DIR [-version vX.Y.Z]
//	go run ./internal/modproxy -order
//
// Without -version, the version is the one at which the go.mod files require
// each other; they must all agree. Any go.mod that requires one of the
// repository's modules at another version, or replaces one, is an error: a
// consumer would not get what the workspace builds. -order prints the
// modules in release order (a module after everything of ours it requires),
// one "level dir module-path" line each, for scripts/release.sh.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "modproxy:", err)
		os.Exit(1)
	}
}

// run parses args, reads the repository and writes the proxy or the order.
func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("modproxy", flag.ContinueOnError)
	repoDir := fs.String("repo", ".", "repository root (a git work tree)")
	out := fs.String("out", "", "directory to write the proxy to (GOPROXY=file://DIR)")
	version := fs.String("version", "", "version to publish every module at; default: the one the go.mod files require")
	order := fs.Bool("order", false, "print the modules in release order instead of writing a proxy")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q: give flags only", fs.Args())
	}
	r, err := readRepo(*repoDir)
	if err != nil {
		return err
	}
	if *order {
		for _, m := range r.releaseOrder() {
			fmt.Fprintf(stdout, "%d %s %s\n", m.level, m.displayDir(), m.Path)
		}
		return nil
	}
	if *out == "" {
		return fmt.Errorf("-out is required: the directory to write the proxy to")
	}
	v := *version
	if v == "" {
		if v, err = r.requiredVersion(); err != nil {
			return err
		}
	}
	if err := r.check(v); err != nil {
		return err
	}
	for _, m := range r.published() {
		if err := writeModule(r, m, v, *out); err != nil {
			return fmt.Errorf("%s@%s: %w", m.Path, v, err)
		}
		fmt.Fprintf(stdout, "%s %s\n", m.Path, v)
	}
	return nil
}
