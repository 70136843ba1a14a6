package main

import (
	"archive/zip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode"
)

// The go command's limits on a module zip.
const (
	maxZipContent = 500 << 20 // all files, uncompressed
	maxGoMod      = 16 << 20
	maxLicense    = 16 << 20
)

// zipFile is one file of a module zip: its name inside the module and where
// it comes from in the repository.
type zipFile struct {
	name, source string
	size         int64
}

// moduleFiles returns the files of m that its zip holds, sorted by name.
func moduleFiles(r *repo, m *module) ([]zipFile, error) {
	var files []zipFile
	var total int64
	add := func(name, source string) error {
		fi, err := os.Lstat(filepath.Join(r.dir, filepath.FromSlash(source)))
		if err != nil {
			return err
		}
		if !fi.Mode().IsRegular() { // symbolic links and the like: not portable, never zipped
			return nil
		}
		if err := checkFileName(name); err != nil {
			return fmt.Errorf("%s cannot be in a module zip: %w; rename it or move it out of the module", source, err)
		}
		if limit := map[string]int64{"go.mod": maxGoMod, "LICENSE": maxLicense}[name]; limit > 0 && fi.Size() > limit {
			return fmt.Errorf("%s is %d bytes; a module's %s may have at most %d", source, fi.Size(), name, limit)
		}
		if total += fi.Size(); total > maxZipContent {
			return fmt.Errorf("the module's files add up to more than %d bytes, the most a module zip may hold", maxZipContent)
		}
		files = append(files, zipFile{name: name, source: source, size: fi.Size()})
		return nil
	}
	for _, f := range r.files {
		if r.moduleDirOf(f) != m.Dir {
			continue
		}
		name := f
		if m.Dir != "" {
			name = strings.TrimPrefix(f, m.Dir+"/")
		}
		if isVendored(name) {
			continue
		}
		if err := add(name, f); err != nil {
			return nil, err
		}
	}
	// The go command copies the repository's LICENSE into a sub-module that
	// has none of its own.
	if m.Dir != "" && !slices.ContainsFunc(files, func(f zipFile) bool { return f.name == "LICENSE" }) && slices.Contains(r.files, "LICENSE") {
		if err := add("LICENSE", "LICENSE"); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(files, func(a, b zipFile) int { return strings.Compare(a.name, b.name) })
	for i := 1; i < len(files); i++ {
		for _, g := range files[:i] {
			if strings.EqualFold(g.name, files[i].name) {
				return nil, fmt.Errorf("%s and %s differ only in case, which a module zip may not hold (it could not be extracted on a case-insensitive file system)", g.source, files[i].source)
			}
		}
	}
	return files, nil
}

// moduleDirOf returns the directory of the innermost module holding the
// repository file f.
func (r *repo) moduleDirOf(f string) string {
	for d := path.Dir(f); ; d = path.Dir(d) {
		if d == "." {
			return ""
		}
		if _, ok := r.modules[d]; ok {
			return d
		}
	}
}

// isVendored reports whether a module zip leaves out the file name (relative
// to the module root) as part of a vendor directory. This follows what the
// go command does when it zips a module from a tag (TestZipsHashLikeTheGoCommandsOwn
// checks it): the files in the subdirectories of any vendor directory (the
// vendored packages) are left out, and so is the top-level
// vendor/modules.txt; other files directly in a vendor directory stay.
func isVendored(name string) bool {
	if name == "vendor/modules.txt" {
		return true
	}
	rest, ok := strings.CutPrefix(name, "vendor/")
	if !ok {
		i := strings.Index(name, "/vendor/")
		if i < 0 {
			return false
		}
		rest = name[i+len("/vendor/"):]
	}
	return strings.Contains(rest, "/")
}

// checkFileName returns an error if name (slash-separated, relative to the
// module root) is not a file path that a module zip may hold.
func checkFileName(name string) error {
	for _, elem := range strings.Split(name, "/") {
		if elem == "" || elem == "." || elem == ".." {
			return fmt.Errorf("empty, . or .. path element in %q", name)
		}
		if strings.HasSuffix(elem, ".") {
			return fmt.Errorf("path element %q ends in a dot", elem)
		}
		for _, c := range elem {
			if !unicode.IsLetter(c) && !('0' <= c && c <= '9') && !strings.ContainsRune(" !#$%&()+,-.=@[]^_{}~", c) {
				return fmt.Errorf("path element %q holds %q, which is not a letter, a digit or one of  !#$%%&()+,-.=@[]^_{}~", elem, c)
			}
		}
		short, _, _ := strings.Cut(elem, ".")
		if slices.Contains(reservedNames, strings.ToUpper(short)) {
			return fmt.Errorf("path element %q is a reserved file name on Windows", elem)
		}
		if i := strings.LastIndexByte(short, '~'); i >= 0 && i < len(short)-1 && strings.Trim(short[i+1:], "0123456789") == "" {
			return fmt.Errorf("path element %q looks like a Windows short name", elem)
		}
	}
	return nil
}

// reservedNames are the device names that Windows reserves whatever the
// case or extension.
var reservedNames = []string{
	"CON", "PRN", "AUX", "NUL",
	"COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
	"LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
}

// writeModule writes m at version v into the proxy directory out:
// <escaped path>/@v/<v>.zip, .mod, .info and list.
func writeModule(r *repo, m *module, v, out string) error {
	files, err := moduleFiles(r, m)
	if err != nil {
		return err
	}
	dir := filepath.Join(out, filepath.FromSlash(escapePath(m.Path)), "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := writeZip(filepath.Join(dir, v+".zip"), m.Path+"@"+v+"/", r, files); err != nil {
		return err
	}
	gomod, err := os.ReadFile(filepath.Join(r.dir, filepath.FromSlash(m.Dir), "go.mod"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, v+".mod"), gomod, 0o644); err != nil {
		return err
	}
	info, err := json.Marshal(struct {
		Version string
		Time    time.Time
	}{v, r.time})
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, v+".info"), info, 0o644); err != nil {
		return err
	}
	return addToList(filepath.Join(dir, "list"), v)
}

// writeZip writes files into a new zip at name, each under prefix
// ("<module>@<version>/").
func writeZip(name, prefix string, r *repo, files []zipFile) (err error) {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	zw := zip.NewWriter(f)
	for _, file := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: prefix + file.name, Method: zip.Deflate, Modified: r.time})
		if err != nil {
			return err
		}
		if err := copyFile(w, filepath.Join(r.dir, filepath.FromSlash(file.source)), file.size); err != nil {
			return err
		}
	}
	return zw.Close()
}

// copyFile copies the file at name into w, failing if its size is no longer
// size (it changed while the proxy was written).
func copyFile(w io.Writer, name string, size int64) error {
	src, err := os.Open(name)
	if err != nil {
		return err
	}
	defer src.Close()
	n, err := io.Copy(w, io.LimitReader(src, size+1))
	if err == nil && n != size {
		err = fmt.Errorf("%s changed while it was zipped; run again", name)
	}
	return err
}

// addToList adds v to the proxy's list of versions at name.
func addToList(name, v string) error {
	data, err := os.ReadFile(name)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	versions := strings.Fields(string(data))
	if slices.Contains(versions, v) {
		return nil
	}
	versions = append(versions, v)
	return os.WriteFile(name, []byte(strings.Join(versions, "\n")+"\n"), 0o644)
}

// escapePath spells a module path as proxies do: each upper-case letter as
// "!" and the letter in lower case.
func escapePath(p string) string {
	var b strings.Builder
	for _, c := range p {
		if 'A' <= c && c <= 'Z' {
			b.WriteByte('!')
			c += 'a' - 'A'
		}
		b.WriteRune(c)
	}
	return b.String()
}
