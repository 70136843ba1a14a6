package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// repo is a git work tree holding one root module and the modules nested in
// it.
type repo struct {
	dir     string             // the work tree's root, as given
	root    *module            // the module at the top of the tree
	modules map[string]*module // by directory: "" is the root
	files   []string           // every file git tracks or would track, slash-separated
	time    time.Time          // the last commit's time, for .info files
}

// module is one go.mod of the repository.
type module struct {
	Dir  string // slash-separated, relative to the repository root; "" for the root
	Path string // the module path its go.mod declares
	// ours lists the repository's modules this go.mod requires, with the
	// versions it requires them at; replaced lists those it replaces.
	ours     map[string]string
	replaced []string
	level    int // 0 when it requires nothing of ours, else 1 + its deepest requirement's level
}

// displayDir is the module's directory for people and scripts: "." for the
// root.
func (m *module) displayDir() string {
	if m.Dir == "" {
		return "."
	}
	return m.Dir
}

// readRepo lists the files of the work tree at dir and reads its go.mod files.
func readRepo(dir string) (*repo, error) {
	out, err := command(dir, "git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	if err != nil {
		return nil, fmt.Errorf("listing the files of %s (it must be a git work tree): %w", dir, err)
	}
	r := &repo{dir: dir, modules: map[string]*module{}, time: time.Now().UTC()}
	for _, f := range strings.Split(string(out), "\x00") {
		if f == "" {
			continue
		}
		// A file deleted from the work tree but still in git's index is not
		// part of what would be tagged.
		if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(f))); errors.Is(err, os.ErrNotExist) {
			continue
		}
		r.files = append(r.files, f)
	}
	slices.Sort(r.files)
	r.files = slices.Compact(r.files)
	if t, err := command(dir, "git", "log", "-1", "--format=%cI"); err == nil {
		if ct, err := time.Parse(time.RFC3339, strings.TrimSpace(string(t))); err == nil {
			r.time = ct.UTC()
		}
	}
	for _, f := range r.files {
		if path.Base(f) != "go.mod" {
			continue
		}
		d := path.Dir(f)
		if d == "." {
			d = ""
		}
		m, err := readGoMod(dir, d)
		if err != nil {
			return nil, err
		}
		r.modules[d] = m
	}
	r.root = r.modules[""]
	if r.root == nil {
		return nil, fmt.Errorf("%s has no go.mod at its root", dir)
	}
	for _, m := range r.modules {
		for p, v := range m.ours {
			if !r.isOurs(p) {
				delete(m.ours, p)
				continue
			}
			if r.byPath(p) == nil {
				return nil, fmt.Errorf("%s/go.mod requires %s %s, which is no module of this repository", m.displayDir(), p, v)
			}
		}
		m.replaced = slices.DeleteFunc(m.replaced, func(p string) bool { return !r.isOurs(p) })
	}
	return r, r.setLevels()
}

// goModJSON is the part of `go mod edit -json` that modproxy reads.
type goModJSON struct {
	Module  struct{ Path string }
	Require []struct{ Path, Version string }
	Replace []struct{ Old struct{ Path string } }
}

// readGoMod reads the go.mod in the repository's directory d with the go
// command's own parser.
func readGoMod(repoDir, d string) (*module, error) {
	file := filepath.Join(repoDir, filepath.FromSlash(d), "go.mod")
	out, err := command(repoDir, "go", "mod", "edit", "-json", file)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	var j goModJSON
	if err := json.Unmarshal(out, &j); err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	m := &module{Dir: d, Path: j.Module.Path, ours: map[string]string{}}
	for _, r := range j.Require {
		m.ours[r.Path] = r.Version // filtered to our modules by readRepo
	}
	for _, r := range j.Replace {
		m.replaced = append(m.replaced, r.Old.Path)
	}
	return m, nil
}

// isOurs reports whether the module path p is the root module's or below it.
func (r *repo) isOurs(p string) bool {
	return p == r.root.Path || strings.HasPrefix(p, r.root.Path+"/")
}

// isPublished reports whether m can be fetched from the repository's tags: its
// path is the root module's path followed by its directory. Anything else
// (a test fixture's go.mod) is left out of the proxy, and its directory is
// still left out of the module around it.
func (r *repo) isPublished(m *module) bool {
	if m.Dir == "" {
		return true
	}
	return m.Path == r.root.Path+"/"+m.Dir
}

// published returns the modules to put in the proxy, sorted by directory.
func (r *repo) published() []*module {
	var ms []*module
	for _, m := range r.modules {
		if r.isPublished(m) {
			ms = append(ms, m)
		}
	}
	slices.SortFunc(ms, func(a, b *module) int { return strings.Compare(a.Dir, b.Dir) })
	return ms
}

// byPath returns the published module with path p, or nil.
func (r *repo) byPath(p string) *module {
	for _, m := range r.published() {
		if m.Path == p {
			return m
		}
	}
	return nil
}

// setLevels computes each module's level, and fails on a requirement cycle
// (which no release order could tag).
func (r *repo) setLevels() error {
	const unset, visiting = -1, -2
	for _, m := range r.modules {
		m.level = unset
	}
	var visit func(m *module, chain []string) error
	visit = func(m *module, chain []string) error {
		switch m.level {
		case visiting:
			return fmt.Errorf("the modules require each other in a cycle: %s", strings.Join(append(chain, m.Path), " -> "))
		case unset:
		default:
			return nil
		}
		m.level = visiting
		level := 0
		for p := range m.ours {
			dep := r.byPath(p)
			if err := visit(dep, append(chain, m.Path)); err != nil {
				return err
			}
			level = max(level, dep.level+1)
		}
		m.level = level
		return nil
	}
	for _, m := range r.published() {
		if err := visit(m, nil); err != nil {
			return err
		}
	}
	return nil
}

// releaseOrder returns the published modules, each after every module of
// ours it requires: by level, then by directory.
func (r *repo) releaseOrder() []*module {
	ms := r.published()
	slices.SortStableFunc(ms, func(a, b *module) int { return a.level - b.level })
	return ms
}

// requiredVersion returns the one version at which the go.mod files require
// the repository's modules.
func (r *repo) requiredVersion() (string, error) {
	seen := map[string][]string{}
	for _, m := range r.published() {
		for p, v := range m.ours {
			seen[v] = append(seen[v], m.displayDir()+" requires "+p+" "+v)
		}
	}
	switch len(seen) {
	case 0:
		return "", errors.New("no go.mod requires another module of this repository: give -version")
	case 1:
		for v := range seen {
			return v, nil
		}
	}
	var lines []string
	for _, l := range seen {
		lines = append(lines, l...)
	}
	slices.Sort(lines)
	return "", fmt.Errorf("the go.mod files require this repository's modules at different versions; bump them all to one (scripts/release.sh does):\n\t%s", strings.Join(lines, "\n\t"))
}

// semver is a canonical semantic version as module versions spell it.
var semver = regexp.MustCompile(`^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)

// check returns an error if publishing every module at version v would give
// a consumer something other than what the workspace builds.
func (r *repo) check(v string) error {
	if !semver.MatchString(v) {
		return fmt.Errorf("version %q is not of the form vX.Y.Z (or vX.Y.Z-pre)", v)
	}
	if !strings.HasPrefix(v, "v0.") && !strings.HasPrefix(v, "v1.") {
		return fmt.Errorf("version %s needs module paths ending in /%s; this repository's modules have none", v, strings.SplitN(v, ".", 2)[0])
	}
	var problems []string
	for _, m := range r.published() {
		for _, p := range m.replaced {
			problems = append(problems, fmt.Sprintf("%s/go.mod replaces %s: consumers ignore replace directives; delete it (go.work already points the workspace at the work tree)", m.displayDir(), p))
		}
		for p, req := range m.ours {
			if req != v {
				problems = append(problems, fmt.Sprintf("%s/go.mod requires %s %s, not %s: run scripts/release.sh %s, or go mod edit -require=%s@%s", m.displayDir(), p, req, v, v, p, v))
			}
		}
		sums, err := os.ReadFile(filepath.Join(r.dir, filepath.FromSlash(m.Dir), "go.sum"))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		for _, line := range strings.Split(string(sums), "\n") {
			if f := strings.Fields(line); len(f) > 0 && r.isOurs(f[0]) {
				problems = append(problems, fmt.Sprintf("%s/go.sum has a checksum of our own module (%s %s), taken from some work tree, which the released zip will not match: delete the line (RELEASING.md says why)", m.displayDir(), f[0], f[1]))
			}
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return errors.New(strings.Join(problems, "\n"))
	}
	return nil
}

// command runs name with args in dir and returns its standard output; the
// error carries its standard error.
func command(dir, name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}
