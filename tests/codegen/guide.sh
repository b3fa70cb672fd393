#!/bin/bash
# guide.sh - test helper for tests/codegen.bats: every program of the
# guide corpus (tests/fixtures/guide_programs, kind `program` in its
# MANIFEST) through bt-parse | bt-check | bt-codegen twice (the obj
# streams must be byte-identical) and into the kernel's verifier without
# attaching.  One line per program:
#
#   NNN.bt ok
#   NNN.bt refused: <first error line of the stage that refused it>
#   NNN.bt FAIL: <what went wrong in bt-codegen or between runs>
#
#   guide.sh GUIDE_DIR BUILD_DIR LOADOBJ TMPDIR [BT-CODEGEN OPTION...]
dir=$1 B=$2 loadobj=$3 tmp=$4
shift 4
codegen_opts=("$@")
first_error() {
	grep -v '^WARNING\|^ *~*$\|^$' "$1" | head -1
}
run_one() {
	local f=$1 params=$2
	# shellcheck disable=SC2086  # params are words
	if ! "$B/bt-parse" "$dir/$f" $params > "$tmp/g.ast" 2> "$tmp/g.err" ||
	   ! "$B/bt-check" --unsafe "$tmp/g.ast" > "$tmp/g.ir" 2> "$tmp/g.err"; then
		echo "$f refused: $(first_error "$tmp/g.err")"
		return
	fi
	if ! "$B/bt-codegen" "${codegen_opts[@]}" --emit-elf "$tmp/g.o" "$tmp/g.ir" > "$tmp/a.obj" 2> "$tmp/g.err"; then
		echo "$f FAIL: bt-codegen: $(head -1 "$tmp/g.err")"
		return
	fi
	"$B/bt-codegen" "${codegen_opts[@]}" "$tmp/g.ir" > "$tmp/b.obj"
	if ! cmp -s "$tmp/a.obj" "$tmp/b.obj"; then
		echo "$f FAIL: the obj differs between two runs"
		return
	fi
	if [ "$(id -u)" = 0 ] &&
	   ! "$loadobj" "$tmp/g.o" --skip-type fentry --skip-type fexit > /dev/null 2> "$tmp/g.err"; then
		echo "$f refused: verifier: $(grep -v '^$\|^libbpf:\|^loadobj:\|^-- END\|^processed \|^verification time' "$tmp/g.err" | tail -1)"
		return
	fi
	echo "$f ok"
}
while IFS=$'\t' read -r f kind _ params; do
	[ "$kind" = program ] && run_one "$f" "$params"
done < "$dir/MANIFEST"
exit 0
