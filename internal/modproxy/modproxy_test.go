package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// newRepo makes a git work tree in a temporary directory holding files
// (slash-separated name → contents).
func newRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("needs git:", err)
	}
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := command(dir, "git", "init", "-q"); err != nil {
		t.Fatal(err)
	}
	return dir
}

// build runs modproxy on repo with extra flags and returns the proxy
// directory, or the error.
func build(t *testing.T, repo string, flags ...string) (string, error) {
	t.Helper()
	out := t.TempDir()
	args := []string{"-repo", repo, "-out", out}
	for _, f := range flags {
		if f != "" {
			args = append(args, f)
		}
	}
	var stdout bytes.Buffer
	return out, run(args, &stdout)
}

// zipNames lists the entries of a zip file.
func zipNames(t *testing.T, name string) []string {
	t.Helper()
	zr, err := zip.OpenReader(name)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	return names
}

// tree is a small repository: a root module, a sub-module requiring it, a
// fixture module under testdata, and every kind of file a module zip must
// leave out.
var tree = map[string]string{
	"go.mod":                    "module example.com/r\n\ngo 1.24.0\n",
	"LICENSE":                   "MIT\n",
	".gitignore":                "*.log\n",
	"r.go":                      "package r\n",
	"debug.log":                 "ignored by git\n",
	"vendor/modules.txt":        "left out\n",
	"vendor/a.txt":              "kept\n",
	"vendor/example.com/x/x.go": "package x\n",
	"inner/vendor/y/y.go":       "package y\n",
	"inner/vendor/z.go":         "package z\n",
	"inner/i.go":                "package inner\n",
	"sub/go.mod":                "module example.com/r/sub\n\ngo 1.24.0\n\nrequire example.com/r v0.1.0\n",
	"sub/s.go":                  "package sub\n\nimport _ \"example.com/r\"\n",
	"sub/deep/d.go":             "package deep\n",
	"testdata/fix/go.mod":       "module fixture\n\ngo 1.24.0\n",
	"testdata/fix/f.go":         "package fix\n",
	"testdata/data.txt":         "kept\n",
}

func TestZipsHoldWhatATagWould(t *testing.T) {
	repo := newRepo(t, tree)
	if err := os.Symlink("r.go", filepath.Join(repo, "link.go")); err != nil {
		t.Fatal(err)
	}
	out, err := build(t, repo)
	if err != nil {
		t.Fatal(err)
	}
	root := zipNames(t, filepath.Join(out, "example.com/r/@v/v0.1.0.zip"))
	want := []string{".gitignore", "LICENSE", "go.mod", "inner/i.go", "inner/vendor/z.go", "r.go", "testdata/data.txt", "vendor/a.txt"}
	for i := range want {
		want[i] = "example.com/r@v0.1.0/" + want[i]
	}
	if !slices.Equal(root, want) {
		t.Errorf("root zip:\n got %q\nwant %q", root, want)
	}
	sub := zipNames(t, filepath.Join(out, "example.com/r/sub/@v/v0.1.0.zip"))
	want = []string{"LICENSE", "deep/d.go", "go.mod", "s.go"}
	for i := range want {
		want[i] = "example.com/r/sub@v0.1.0/" + want[i]
	}
	if !slices.Equal(sub, want) {
		t.Errorf("sub zip (LICENSE copied from the root):\n got %q\nwant %q", sub, want)
	}
	if _, err := os.Stat(filepath.Join(out, "fixture")); err == nil {
		t.Error("a module whose path does not match its directory was published")
	}
	mod, err := os.ReadFile(filepath.Join(out, "example.com/r/sub/@v/v0.1.0.mod"))
	if err != nil || string(mod) != tree["sub/go.mod"] {
		t.Errorf(".mod = %q, %v; want the sub-module's go.mod", mod, err)
	}
	var info struct{ Version, Time string }
	data, err := os.ReadFile(filepath.Join(out, "example.com/r/@v/v0.1.0.info"))
	if err != nil || json.Unmarshal(data, &info) != nil || info.Version != "v0.1.0" || info.Time == "" {
		t.Errorf(".info = %s, %v; want the version and a time", data, err)
	}
	if list, err := os.ReadFile(filepath.Join(out, "example.com/r/@v/list")); err != nil || string(list) != "v0.1.0\n" {
		t.Errorf("list = %q, %v", list, err)
	}
}

func TestTheGoCommandInstallsFromTheProxy(t *testing.T) {
	repo := newRepo(t, tree)
	out, err := build(t, repo)
	if err != nil {
		t.Fatal(err)
	}
	consumer := t.TempDir()
	files := map[string]string{
		"go.mod":  "module example.com/consumer\n\ngo 1.24.0\n",
		"main.go": "package main\n\nimport _ \"example.com/r/sub\"\n\nfunc main() {}\n",
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(consumer, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	goCmd := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("go", args...)
		cmd.Dir = consumer
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod -modcacherw", "GOPROXY=file://"+filepath.ToSlash(out),
			"GONOSUMDB=example.com", "GOMODCACHE="+t.TempDir(), "GOTOOLCHAIN=local")
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, b)
		}
		return string(b)
	}
	goCmd("get", "example.com/r/sub@v0.1.0")
	goCmd("build", "./...")
	if got := goCmd("list", "-m", "all"); !strings.Contains(got, "example.com/r v0.1.0") || !strings.Contains(got, "example.com/r/sub v0.1.0") {
		t.Errorf("go list -m all =\n%s\nwant both modules at v0.1.0", got)
	}
}

func TestRefusesWhatAConsumerWouldNotGet(t *testing.T) {
	for _, tc := range []struct {
		name, gomod, gosum, flag, want string
	}{
		{"replace", "module example.com/r/sub\n\ngo 1.24.0\n\nrequire example.com/r v0.1.0\n\nreplace example.com/r => ../\n", "", "", "replaces example.com/r"},
		{"other version", tree["sub/go.mod"], "", "-version=v0.2.0", "requires example.com/r v0.1.0, not v0.2.0"},
		{"checksum of ours", tree["sub/go.mod"], "example.com/r v0.1.0/go.mod h1:VUghc2gmGTKj45LptX3Gje41r3Im6s5XzaTkp82bW8Q=\n", "", "checksum of our own module (example.com/r v0.1.0/go.mod)"},
		{"not semver", tree["sub/go.mod"], "", "-version=0.1", "not of the form vX.Y.Z"},
		{"major 2", tree["sub/go.mod"], "", "-version=v2.0.0", "module paths ending in /v2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{"go.mod": tree["go.mod"], "sub/go.mod": tc.gomod, "sub/go.sum": tc.gosum}
			_, err := build(t, newRepo(t, files), tc.flag)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v; want one saying %q", err, tc.want)
			}
		})
	}
}

func TestRefusesDisagreeingRequires(t *testing.T) {
	repo := newRepo(t, map[string]string{
		"go.mod":   tree["go.mod"],
		"a/go.mod": "module example.com/r/a\n\ngo 1.24.0\n\nrequire example.com/r v0.1.0\n",
		"b/go.mod": "module example.com/r/b\n\ngo 1.24.0\n\nrequire example.com/r v0.2.0\n",
	})
	if _, err := build(t, repo); err == nil || !strings.Contains(err.Error(), "different versions") {
		t.Errorf("err = %v; want one about different versions", err)
	}
}

func TestRefusesFileNamesAZipCannotHold(t *testing.T) {
	for _, name := range []string{"aux.go", "a:b.go", "dir./x.go", "PROGRA~1/x.go"} {
		t.Run(name, func(t *testing.T) {
			repo := newRepo(t, map[string]string{"go.mod": tree["go.mod"], name: "x\n"})
			if _, err := build(t, repo, "-version=v0.1.0"); err == nil || !strings.Contains(err.Error(), "cannot be in a module zip") {
				t.Errorf("err = %v; want the file refused", err)
			}
		})
	}
	repo := newRepo(t, map[string]string{"go.mod": tree["go.mod"], "README": "a\n", "readme": "b\n"})
	if _, err := build(t, repo, "-version=v0.1.0"); err == nil || !strings.Contains(err.Error(), "differ only in case") {
		t.Errorf("err = %v; want the case collision refused", err)
	}
}

func TestReleaseOrder(t *testing.T) {
	repo := newRepo(t, map[string]string{
		"go.mod":       tree["go.mod"],
		"app/go.mod":   "module example.com/r/app\n\ngo 1.24.0\n\nrequire (\n\texample.com/r v0.1.0\n\texample.com/r/store v0.1.0\n)\n",
		"store/go.mod": "module example.com/r/store\n\ngo 1.24.0\n\nrequire example.com/r v0.1.0\n",
		"tool/go.mod":  "module example.com/r/tool\n\ngo 1.24.0\n",
	})
	var stdout bytes.Buffer
	if err := run([]string{"-repo", repo, "-order"}, &stdout); err != nil {
		t.Fatal(err)
	}
	want := "0 . example.com/r\n0 tool example.com/r/tool\n1 store example.com/r/store\n2 app example.com/r/app\n"
	if stdout.String() != want {
		t.Errorf("order:\n%s\nwant:\n%s", stdout.String(), want)
	}
}

// TestZipsHashLikeTheGoCommandsOwn tags a repository and has the go command
// zip each module from the tag itself (as the public module proxy will):
// the checksums must equal those of modproxy's zips of the same tree.
func TestZipsHashLikeTheGoCommandsOwn(t *testing.T) {
	// A github.com path, so that the go command knows the repository's URL
	// without asking the network; git then fetches it from disk.
	files := map[string]string{}
	for name, data := range tree {
		files[name] = strings.ReplaceAll(data, "example.com/r", "github.com/modproxytest/r")
	}
	repo := newRepo(t, files)
	if err := os.Symlink("r.go", filepath.Join(repo, "link.go")); err != nil {
		t.Fatal(err)
	}
	gitconfig := filepath.Join(t.TempDir(), "gitconfig")
	config := "[url \"" + repo + "\"]\n\tinsteadOf = https://github.com/modproxytest/r\n[safe]\n\tdirectory = *\n[user]\n\tname = t\n\temail = t@example.com\n"
	if err := os.WriteFile(gitconfig, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GIT_CONFIG_GLOBAL", gitconfig)
	for _, args := range [][]string{{"add", "-A"}, {"commit", "-q", "-m", "release"}, {"tag", "v0.1.0"}, {"tag", "sub/v0.1.0"}} {
		if _, err := command(repo, "git", args...); err != nil {
			t.Fatal(err)
		}
	}
	out, err := build(t, repo)
	if err != nil {
		t.Fatal(err)
	}
	download := func(proxy, mod string) (sum, dir string) {
		t.Helper()
		cmd := exec.Command("go", "mod", "download", "-json", mod+"@v0.1.0")
		cmd.Dir = t.TempDir()
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-modcacherw", "GOPROXY="+proxy, "GONOSUMDB=github.com/modproxytest",
			"GOMODCACHE="+t.TempDir(), "GOTOOLCHAIN=local", "GOVCS=*:git")
		b, err := cmd.Output()
		var info struct{ Sum, Dir, Error string }
		if err != nil || json.Unmarshal(b, &info) != nil || info.Sum == "" {
			t.Fatalf("go mod download %s (GOPROXY=%s): %v %s %s", mod, proxy, err, b, info.Error)
		}
		return info.Sum, info.Dir
	}
	for _, mod := range []string{"github.com/modproxytest/r", "github.com/modproxytest/r/sub"} {
		tagSum, tagDir := download("direct", mod)
		proxySum, proxyDir := download("file://"+filepath.ToSlash(out), mod)
		if tagSum != proxySum {
			t.Errorf("%s: the go command's zip of the tag has checksum %s, modproxy's %s\ntag:   %q\nproxy: %q",
				mod, tagSum, proxySum, listFiles(t, tagDir), listFiles(t, proxyDir))
		}
	}
}

// listFiles lists the files under dir, slash-separated and relative to it.
func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			names = append(names, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}
