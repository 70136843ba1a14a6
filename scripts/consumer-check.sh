#!/usr/bin/env bash
# Checks that the modules install as a release publishes them: no go.work,
# no replace directive, our modules fetched only as module zips.
#
#   scripts/consumer-check.sh [download|alone|consumer]...   (default: alone consumer)
#   scripts/consumer-check.sh tidy DIR...
#
#   alone     each module builds by itself, the modules of ours it requires
#             coming from a file module proxy that holds this work tree at the
#             release version (internal/modproxy); a go.mod that the build had
#             to complete fails the check, since a consumer would hit the same
#             gap.
#   consumer  a module outside the repository go-gets the core and every store
#             module from that proxy, builds scripts/testdata/consumer and runs
#             it: each storage commits a session and reads it back. The
#             database stores use SESSION_TEST_REDIS_ADDR,
#             SESSION_TEST_POSTGRES_DSN and SESSION_TEST_MYSQL_DSN, which
#             CI=true makes mandatory.
#   download  fetches into the module cache, through $GOPROXY, the third-party
#             modules that the two checks above need (CI's "Go dependencies"
#             step). The checks themselves need no network: run them with
#             GOPROXY=off.
#   tidy      runs go mod tidy in the modules in DIR... (which a plain go mod
#             tidy cannot do: it ignores go.work, and the versions of ours
#             that the go.mod files require may not be published yet), then
#             drops our modules' lines from their go.sum (RELEASING.md says
#             why).
#
# Our modules come only from the file proxy and are never looked up in the
# checksum database. They pass through the machine's module cache, which is
# what lets the builds reuse the compiled third-party packages of the other
# CI steps; so that a later run with other contents at the same version
# cannot find a stale copy there, the check removes our modules (and only
# those) from the module cache before and after it runs, and runs of it wait
# for each other.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

fallback=$(go env GOPROXY)
modcache=$(go env GOMODCACHE)
goflags=$(go env GOFLAGS)
work=$(mktemp -d)

# forget_ours removes our modules from the module cache.
forget_ours() {
	local d
	for d in "$modcache/github.com/b4f9cdbb" "$modcache/cache/download/github.com/b4f9cdbb"; do
		if [ -e "$d" ]; then chmod -R u+w "$d" && rm -rf "$d"; fi
	done
}
exec 9>/tmp/session-consumer-check.lock
flock 9
forget_ours
trap 'forget_ours; rm -rf "$work"' EXIT

steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(alone consumer)
if [ "${steps[0]}" = tidy ]; then
	tidy_dirs=("${steps[@]:1}")
	steps=(tidy)
	[ ${#tidy_dirs[@]} -gt 0 ] || { echo "tidy needs the directories of the modules to tidy" >&2; exit 2; }
fi

# modproxy is standard library only: it needs no workspace.
modproxy() { GOWORK=off go run ./internal/modproxy "$@"; }
# The published modules in release order: "level dir path" lines.
modproxy -order >"$work/order"

# ensure_proxy writes the file proxy once and sets version to the release
# version it holds.
ensure_proxy() {
	if [ ! -d "$work/proxy" ]; then
		modproxy -out "$work/proxy" >"$work/published"
	fi
	version=$(awk 'NR == 1 {print $2}' "$work/published")
}

# as_published runs a go command the way a consumer's machine would: our
# modules from the file proxy only, everything else as usual, no workspace.
# goindex=0: the go command takes a module cache directory for immutable and
# remembers what packages it holds; ours change between runs.
as_published() {
	GOWORK=off GOFLAGS="$goflags -mod=mod -modcacherw" GOPROXY="file://$work/proxy,$fallback" \
		GONOSUMDB=github.com/b4f9cdbb GODEBUG="${GODEBUG:+$GODEBUG,}goindex=0" go "$@"
}

download() {
	# Each module's own graph, with our modules replaced by their
	# directories: the same go.mod files the zips hold, so the same
	# third-party versions, fetched into the machine's module cache.
	local replaces=() level dir path
	while read -r level dir path; do replaces+=("-replace=$path=$root/$dir"); done <"$work/order"
	while read -r level dir path; do
		local t="$work/download/$dir"
		mkdir -p "$t"
		cp "$dir/go.mod" "$t/go.mod"
		[ ! -f "$dir/go.sum" ] || cp "$dir/go.sum" "$t/go.sum"
		go mod edit -modfile="$t/go.mod" "${replaces[@]}"
		(cd "$dir" && GOWORK=off go mod download -modfile="$t/go.mod")
	done <"$work/order"
}

alone() {
	local level dir path failed=0
	ensure_proxy
	while read -r level dir path; do
		local t="$work/alone/$dir"
		mkdir -p "$t"
		cp "$dir/go.mod" "$t/go.mod"
		[ ! -f "$dir/go.sum" ] || cp "$dir/go.sum" "$t/go.sum"
		echo "alone: $path"
		if ! (cd "$dir" && as_published build -modfile="$t/go.mod" ./...); then
			echo "$dir does not build alone (a missing checksum means an untidy go.sum: scripts/consumer-check.sh tidy $dir)" >&2
			failed=1
		elif ! diff -u "$dir/go.mod" "$t/go.mod"; then
			echo "$dir/go.mod lacks what the build above added, and a consumer would miss it too: scripts/consumer-check.sh tidy $dir" >&2
			failed=1
		fi
	done <"$work/order"
	return $failed
}

consumer() {
	local missing=()
	for v in SESSION_TEST_REDIS_ADDR SESSION_TEST_POSTGRES_DSN SESSION_TEST_MYSQL_DSN; do
		[ -n "${!v:-}" ] || missing+=("$v")
	done
	if [ ${#missing[@]} -gt 0 ] && [ "${CI:-}" = true ]; then
		echo "consumer: CI needs ${missing[*]} (the database stores are part of the check)" >&2
		return 1
	fi
	local c="$work/consumer"
	mkdir -p "$c"
	cp scripts/testdata/consumer/main.go "$c/"
	# Checksums of the third-party modules, as our modules recorded them (a
	# consumer would get the same from the checksum database).
	cat $(git ls-files '*go.sum') | grep -v '^github.com/b4f9cdbb/' | sort -u >"$c/go.sum"
	printf 'module example.com/consumer\n\ngo 1.26.0\n' >"$c/go.mod"
	ensure_proxy
	local mods=()
	for m in "" /redisstore /pgstore /mysqlstore /sqlitestore; do mods+=("github.com/b4f9cdbb/session$m@$version"); done
	echo "consumer: go get ${mods[*]}"
	(cd "$c" && as_published get "${mods[@]}" && as_published mod tidy && as_published vet . && as_published build -o consumer . && ./consumer)
}

tidy() {
	ensure_proxy
	local dir
	for dir in "${tidy_dirs[@]}"; do
		(cd "$dir" && as_published mod tidy)
		[ ! -f "$dir/go.sum" ] || sed -i '/^github\.com\/b4f9cdbb\//d' "$dir/go.sum"
	done
}

for s in "${steps[@]}"; do
	case $s in
	download | alone | consumer | tidy) "$s" ;;
	*) echo "unknown step $s: want download, alone, consumer or tidy DIR..." >&2; exit 2 ;;
	esac
done
