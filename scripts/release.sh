#!/usr/bin/env bash
# Releases every module of the repository at one version (RELEASING.md).
#
#   scripts/release.sh vX.Y.Z            dry run: prints what it would change and tag
#   scripts/release.sh vX.Y.Z --apply    does it: bumps the requires, checks the
#                                        modules as published, commits, tags
#
# Tags: vX.Y.Z for the root module, <dir>/vX.Y.Z for the module in <dir>,
# all on one commit, created in release order (a module after every module
# of ours it requires). Nothing is pushed: the script prints the push
# commands, in that order.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "release: $*" >&2; exit 1; }

[ $# -ge 1 ] && [ $# -le 2 ] || die "usage: scripts/release.sh vX.Y.Z [--apply]"
version=$1
apply=false
case ${2:-} in
"") ;;
--apply) apply=true ;;
*) die "unknown option $2: the only one is --apply" ;;
esac
[[ $version =~ ^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$ ]] ||
	die "$version is not a version: want vX.Y.Z (or vX.Y.Z-rc.N)"

# run prints a command, and runs it with --apply.
run() {
	if $apply; then "$@"; else printf 'would run:'; printf ' %q' "$@"; echo; fi
}

if $apply && [ -n "$(git status --porcelain)" ]; then
	die "the work tree has changes or untracked files; a tag holds only what is committed, so commit or remove them first"
fi

# The modules in release order: "level dir path" lines. (modproxy is
# standard library only: it needs no workspace.)
modproxy() { GOWORK=off go run ./internal/modproxy "$@"; }
order_lines=$(modproxy -order)
mapfile -t order <<<"$order_lines"
tag_of() { if [ "$1" = . ]; then echo "$version"; else echo "$1/$version"; fi; }

for line in "${order[@]}"; do
	read -r _ dir _ <<<"$line"
	tag=$(tag_of "$dir")
	if git rev-parse -q --verify "refs/tags/$tag" >/dev/null; then die "tag $tag exists already"; fi
done
latest=$(git tag -l 'v*' | sort -V | tail -1)
if [ -n "$latest" ] && [ "$(printf '%s\n%s\n' "$latest" "$version" | sort -V | tail -1)" != "$version" ]; then
	die "$version is older than the latest release, $latest"
fi

# ours_required prints "path version" for each module of ours that the go.mod
# in directory $1 requires.
ours_required() {
	go mod edit -print "$1/go.mod" | grep -v '=>' |
		sed -nE 's#^(require[[:space:]]+|[[:space:]]+)(github\.com/b4f9cdbb/session[^[:space:]]*)[[:space:]]+(v[^[:space:]]+).*$#\2 \3#p'
}

echo "== requires of our modules, bumped to $version"
declare -A required # module path -> 1, for the go.work replacements
changed=()
for line in "${order[@]}"; do
	read -r _ dir _ <<<"$line"
	while read -r path old; do
		[ -n "$path" ] || continue
		required[$path]=1
		[ "$old" != "$version" ] || continue
		run go mod edit -require="$path@$version" "$dir/go.mod"
		changed+=("$dir/go.mod")
	done < <(ours_required "$dir")
done
[ ${#changed[@]} -gt 0 ] || echo "(all at $version already)"

echo "== go.work: the workspace replaces exactly those versions with the work tree"
# The replacements are version-specific, so they move with the requires. sed
# keeps the file's layout and comments, which go work edit would not.
if grep -qE "github\.com/b4f9cdbb/session[^[:space:]]*[[:space:]]+v[^[:space:]]+[[:space:]]+=>" go.work &&
	grep -E "github\.com/b4f9cdbb/session[^[:space:]]*[[:space:]]+v[^[:space:]]+[[:space:]]+=>" go.work | grep -qv "[[:space:]]$version[[:space:]]"; then
	run sed -i -E "s#(github\.com/b4f9cdbb/session[^[:space:]]*[[:space:]]+)v[^[:space:]]+([[:space:]]+=>)#\1$version\2#" go.work
	changed+=(go.work)
fi
for line in "${order[@]}"; do
	read -r _ dir path <<<"$line"
	[ -n "${required[$path]:-}" ] || continue
	if ! go work edit -print | grep -qE "^[[:space:]]*(replace[[:space:]]+)?$path[[:space:]]+v[^[:space:]]+[[:space:]]+=>"; then
		run go work edit -replace="$path@$version=./${dir#.}"
		changed+=(go.work)
	fi
done

if $apply; then
	echo "== checks: the modules as published (internal/modproxy, scripts/consumer-check.sh)"
	proxy=$(mktemp -d)
	trap 'rm -rf "$proxy"' EXIT
	modproxy -version "$version" -out "$proxy" >/dev/null
	scripts/consumer-check.sh alone consumer
	if [ ${#changed[@]} -gt 0 ]; then
		mapfile -t changed < <(printf '%s\n' "${changed[@]}" | sort -u)
		git commit -q -m "Release $version: our modules require each other at $version" -- "${changed[@]}"
		echo "committed $(git rev-parse --short HEAD): ${changed[*]}"
	fi
else
	echo "== checks (with --apply): go run ./internal/modproxy -version $version, scripts/consumer-check.sh"
	[ ${#changed[@]} -eq 0 ] || echo "would commit: Release $version: our modules require each other at $version"
fi

echo "== tags, in release order (all on one commit)"
pushes=()
level=-1
for line in "${order[@]}"; do
	read -r l dir path <<<"$line"
	tag=$(tag_of "$dir")
	run git tag -a "$tag" -m "$path $version"
	if [ "$l" != "$level" ]; then pushes+=("git push origin"); level=$l; fi
	pushes[-1]+=" $tag"
done

echo "== then push the commit and the tags, level by level (the module proxy"
echo "== remembers a missing version for a while, so a module's requirements go first):"
echo "git push origin HEAD"
printf '%s\n' "${pushes[@]}"
echo "and check that a consumer gets them: go list -m github.com/b4f9cdbb/session@$version (and each <dir> module)"
