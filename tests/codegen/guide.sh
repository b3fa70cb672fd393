#!/bin/bash
# golden.sh - test helper for tests/codegen.bats: for every program of a
# program list (records separated by "#- N" lines), compile it through
# bt-parse | bt-check | bt-codegen twice, require byte-identical obj
# streams, and load the ELF into the kernel (verifier) without attaching.
# Programs bt-parse/bt-check refuse (missing kernel functions, files,
# --unsafe...) are their business and are counted as skipped.
#
#   golden.sh LIST BUILD_DIR LOADOBJ TMPDIR   ->  last line "ok N skipped M failed K"
list=$1 B=$2 loadobj=$3 tmp=$4
ok=0 skipped=0 failed=0
run_one() {
	local n=$1 prog=$2
	if ! "$B/bt-parse" -e "$prog" > "$tmp/g.ast" 2>/dev/null ||
	   ! "$B/bt-check" --unsafe < "$tmp/g.ast" > "$tmp/g.ir" 2>/dev/null; then
		skipped=$((skipped + 1))
		return
	fi
	if ! "$B/bt-codegen" --emit-elf "$tmp/g.o" "$tmp/g.ir" > "$tmp/a.obj" 2> "$tmp/g.err"; then
		echo "FAIL $n codegen: $(head -1 "$tmp/g.err")"
		failed=$((failed + 1))
		return
	fi
	"$B/bt-codegen" "$tmp/g.ir" > "$tmp/b.obj" 2>/dev/null
	if ! cmp -s "$tmp/a.obj" "$tmp/b.obj"; then
		echo "FAIL $n: output differs between runs"
		failed=$((failed + 1))
		return
	fi
	if [ "$(id -u)" = 0 ] &&
	   ! "$loadobj" "$tmp/g.o" --skip-type fentry --skip-type fexit > /dev/null 2> "$tmp/g.err"; then
		# kernel configuration, not our code: no kprobe override here
		if grep -q "cannot use helper bpf_override_return" "$tmp/g.err"; then
			skipped=$((skipped + 1))
			return
		fi
		echo "FAIL $n verifier: $(grep -v '^$' "$tmp/g.err" | tail -4 | head -1)"
		failed=$((failed + 1))
		return
	fi
	ok=$((ok + 1))
}

n="" prog=""
while IFS= read -r line || [ -n "$line" ]; do
	case "$line" in
	"#- "*)
		[ -n "$n" ] && run_one "$n" "$prog"
		n=${line#"#- "} prog=""
		;;
	"#"*)
		[ -n "$n" ] && prog+="$line"$'\n'
		;;
	*)
		[ -n "$n" ] && prog+="$line"$'\n'
		;;
	esac
done < "$list"
[ -n "$n" ] && run_one "$n" "$prog"
echo "ok $ok skipped $skipped failed $failed"
[ "$failed" = 0 ]
