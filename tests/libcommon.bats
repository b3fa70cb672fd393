#!/usr/bin/env bats
# libcommon: stream framing and the node/type/metadata codec.
load helpers

setup() {
	TMP="$(mktemp -d)"
	"$BT/unit/codec_test" write > "$TMP/s.ir"
}

teardown() {
	rm -rf "$TMP"
}

@test "codec: nodes, types and metadata round-trip (deeper than msgpack-c's nesting limit)" {
	run "$BT/unit/codec_test" read < "$TMP/s.ir"
	[ "$status" -eq 0 ]
	[ "$output" = "ok" ]
}

@test "codec: decoded attach points are shared by content, freed nodes come back zeroed" {
	run "$BT/unit/codec_test" sharing
	[ "$status" -eq 0 ]
	[ "$output" = "ok" ]
}

@test "stream: every truncation is refused with one error line" {
	size=$(stat -c %s "$TMP/s.ir")
	for n in $(seq 0 97 $((size - 1))) $((size - 1)); do
		head -c "$n" "$TMP/s.ir" > "$TMP/t"
		run "$BT/unit/codec_test" read < "$TMP/t"
		[ "$status" -eq 1 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == *ERROR:* ]]
	done
}

@test "stream: random bytes are refused" {
	for i in 1 2 3 4 5 6 7 8; do
		head -c 300 /dev/urandom > "$TMP/r"
		run "$BT/unit/codec_test" read < "$TMP/r"
		[ "$status" -eq 1 ]
		[ "${#lines[@]}" -eq 1 ]
	done
}

@test "stream: corrupted bytes never crash the decoder" {
	size=$(stat -c %s "$TMP/s.ir")
	for i in $(seq 1 40); do
		cp "$TMP/s.ir" "$TMP/c"
		off=$(( (RANDOM * 32768 + RANDOM) % size ))
		printf "\\x$(printf %02x $((RANDOM % 256)))" | dd of="$TMP/c" bs=1 seek="$off" conv=notrunc status=none
		CODEC_TEST_LENIENT=1 run "$BT/unit/codec_test" read < "$TMP/c"
		# 0 (harmless change), 1 (refused) or 3 (other well-formed tree); never a crash
		[ "$status" -eq 0 ] || [ "$status" -eq 1 ] || [ "$status" -eq 3 ]
	done
}

@test "stream: a stream of another format is refused by name" {
	printf '\x82\xa6format\xa3ast\xa7version\x01' > "$TMP/w"
	run "$BT/unit/codec_test" read < "$TMP/w"
	[ "$status" -eq 1 ]
	[ "$output" = "codec_test: ERROR: expected a 'ir' stream, got 'ast'" ]
}

@test "stream: an unknown version is refused" {
	printf '\x82\xa6format\xa2ir\xa7version\x07' > "$TMP/v"
	run "$BT/unit/codec_test" read < "$TMP/v"
	[ "$status" -eq 1 ]
	[ "$output" = "codec_test: ERROR: unsupported ir stream version 7 (this tool reads version 1)" ]
}

@test "stream: every msgpack encoding is read, whole or arriving in 7-byte pieces" {
	"$BT/unit/codec_test" write-types > "$TMP/types.ir"
	run "$BT/unit/codec_test" read-types < "$TMP/types.ir"
	[ "$status" -eq 0 ]
	[ "$output" = "ok" ]
	run bash -c "dd if='$TMP/types.ir' bs=7 status=none | '$BT/unit/codec_test' read-types"
	[ "$status" -eq 0 ]
	[ "$output" = "ok" ]
}

@test "stream: a corrupt element count is a truncation, not a giant allocation" {
	# an array header claiming 2^30 elements, then two: msgpack-c alone
	# would allocate 24 GiB for it (refused here by the address-space limit)
	printf '\x82\xa6format\xa2ir\xa7version\x01\xdd\x40\x00\x00\x00\x01\x02' > "$TMP/big.ir"
	# (ASan reserves terabytes of shadow address space, so under
	# make check-asan its own allocation cap takes the limit's place)
	if [ -n "$SAN_FLAGS" ]; then
		run env ASAN_OPTIONS="${ASAN_OPTIONS:-}:max_allocation_size_mb=400" \
			"$BT/unit/codec_test" read-types < "$TMP/big.ir"
	else
		run bash -c "ulimit -v 400000; '$BT/unit/codec_test' read-types < '$TMP/big.ir'"
	fi
	[ "$status" -eq 1 ]
	[ "$output" = "codec_test: ERROR: truncated ir stream (input ended before the end record)" ]
}

@test "strindex: 100,000 names found by name with their latest value, absent names not found" {
	run "$BT/unit/strindex_test"
	[ "$status" -eq 0 ]
	[ "$output" = "ok" ]
}
