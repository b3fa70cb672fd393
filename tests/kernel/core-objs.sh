#!/bin/sh
# core-objs.sh OUTDIR - compile the programs of tests/kernel/core.bats on
# the build host (this machine's kernel, no snapshot of any guest), so
# that the guests can run the very same objects (`make core-objs`, before
# the guests boot: they see the host's files read-only).
#
# kfunc programs: this host refuses fentry programs, so bt-check would
# refuse kfunc probes live; they are compiled from a snapshot of this
# host whose `features` says kfunc works (its BTF is still this host's).
# syn-*.bt: compiled against that snapshot with the synthetic BTF of
# tests/tools/mkbtf.c instead (objects the guests must refuse).
set -e
out=$1
here=$(cd "$(dirname "$0")" && pwd)
B=${B:-$here/../../build}
mkdir -p "$out"
for p in "$here"/core/*.bt; do
	name=$(basename "$p" .bt)
	case $name in
	kfunc*|syn-*)
		rm -rf "$out/snap-$name"
		"$B/bt-parse" "$p" > "$out/$name.ast"
		"$B/bt-check" --child --no-warnings --snapshot "$out/snap-$name" -o /dev/null \
			"$out/$name.ast" 2>/dev/null || true
		echo "kfunc 1" > "$out/snap-$name/features"
		case $name in syn-*)
			"$B/tests/mkbtf" "$out/snap-$name/btf/vmlinux";;
		esac
		"$B/bt-check" --child --no-warnings --sysroot "$out/snap-$name" "$out/$name.ast" |
			"$B/bt-codegen" > "$out/$name.obj"
		;;
	*)
		"$B/bt-parse" "$p" | "$B/bt-check" --child --no-warnings | "$B/bt-codegen" > "$out/$name.obj"
		;;
	esac
done
