#!/usr/bin/env bats
# bt-check: C definitions and #include'd headers, compiled by libclang.
# Layouts are compared with what the system's C compiler computes for the
# same declarations (a small C program built here prints sizeof/offsetof),
# messages with bpftrace v0.20's (clang's diagnostics + its hint lines).
load helpers
bats_require_minimum_version 1.5.0

setup() {
	TMP="$(mktemp -d)"
	command -v gcc >/dev/null || skip "no C compiler"
}

teardown() {
	rm -rf "$TMP"
}

# The integer values of the ir's int nodes, in order (no "num": 0).
ir_ints() {
	bt-fmt --dump "$1" | awk '/"k": "int", "loc"/ {
		if (match($0, /"num": -?[0-9]+/)) print substr($0, RSTART + 7, RLENGTH - 7); else print 0 }'
}

# same_layout HEADER EXPR...: each EXPR (sizeof(...), offsetof(...)) has
# the value gcc gives it, with HEADER's declarations included by both.
same_layout() {
	local header="$1"
	shift
	printf '%s\n' "$header" > "$TMP/decls.h"
	{
		printf '#include <stdio.h>\n#include <stddef.h>\n#include "decls.h"\nint main(void)\n{\n'
		for e in "$@"; do printf '\tprintf("%%zu\\n", (size_t)%s);\n' "$e"; done
		printf '\treturn 0;\n}\n'
	} > "$TMP/ref.c"
	gcc -w -o "$TMP/ref" "$TMP/ref.c"
	"$TMP/ref" > "$TMP/want"
	local prog='#include "decls.h"
BEGIN {' i=0
	for e in "$@"; do prog="$prog @v$i = $e;"; i=$((i + 1)); done
	prog="$prog }"
	bt-parse -e "$prog" > "$TMP/in.ast"
	bt-check -I "$TMP" "$TMP/in.ast" > "$TMP/out.ir"
	ir_ints "$TMP/out.ir" > "$TMP/got"
	diff "$TMP/want" "$TMP/got"
}

@test "layout: scalar kinds (float, double, long double, __int128, _Bool, enums of every size)" {
	same_layout '
enum e1 { E1A = 1 } __attribute__((packed));
enum e2 { E2A = 0x1234 } __attribute__((packed));
enum e4 { E4A = 1 };
enum e8 { E8A = 0x100000000ULL };
struct scalars {
	char c; float f; char c2; double d; char c3; long double ld; char c4;
	__int128 i128; _Bool b; enum e1 x1; enum e2 x2; enum e4 x4; enum e8 x8;
	unsigned __int128 u128; short s;
};' 'sizeof(struct scalars)' 'offsetof(struct scalars, f)' 'offsetof(struct scalars, c2)' \
	'offsetof(struct scalars, d)' 'offsetof(struct scalars, c3)' 'offsetof(struct scalars, ld)' \
	'offsetof(struct scalars, c4)' 'offsetof(struct scalars, i128)' 'offsetof(struct scalars, b)' \
	'offsetof(struct scalars, x1)' 'offsetof(struct scalars, x2)' 'offsetof(struct scalars, x4)' \
	'offsetof(struct scalars, x8)' 'offsetof(struct scalars, u128)' 'offsetof(struct scalars, s)'
}

@test "layout: the issue's cases written in the script (double member, array sized by an expression)" {
	printf 'struct T { double d; int c; };\nstruct U { char a; char b[2 + 3 * 4]; char z; };\n' > "$TMP/t.h"
	printf '#include <stdio.h>\n#include <stddef.h>\n#include "t.h"\nint main(void) { printf("%%zu\\n%%zu\\n%%zu\\n%%zu\\n", sizeof(struct T), offsetof(struct T, c), sizeof(struct U), offsetof(struct U, z)); return 0; }\n' > "$TMP/ref.c"
	gcc -w -o "$TMP/ref" "$TMP/ref.c"
	"$TMP/ref" > "$TMP/want"
	bt-parse -e 'struct T { double d; int c; }
struct U { char a; char b[2 + 3 * 4]; char z; }
BEGIN { @a = sizeof(struct T); @b = offsetof(struct T, c); @c = sizeof(struct U); @d = offsetof(struct U, z); }' > "$TMP/in.ast"
	bt-check "$TMP/in.ast" > "$TMP/out.ir"
	ir_ints "$TMP/out.ir" > "$TMP/got"
	diff "$TMP/want" "$TMP/got"
	[ "$(sed -n 1p "$TMP/got")" = 16 ] && [ "$(sed -n 2p "$TMP/got")" = 8 ]
}

@test "layout: nested and anonymous structs and unions" {
	same_layout '
struct inner { char a; long b; };
struct nest {
	char c;
	struct inner in;
	union { int ui; char uc[7]; };
	struct { short s1; struct { char deep; long deeper; }; };
	union named_u { char x; double y; } nu;
	struct { int p, q; } unnamed_typed;
	char tail;
};' 'sizeof(struct nest)' 'offsetof(struct nest, in)' 'offsetof(struct nest, ui)' \
	'offsetof(struct nest, uc)' 'offsetof(struct nest, s1)' 'offsetof(struct nest, deep)' \
	'offsetof(struct nest, deeper)' 'offsetof(struct nest, nu)' \
	'offsetof(struct nest, unnamed_typed)' 'offsetof(struct nest, tail)' \
	'sizeof(union named_u)' 'sizeof(struct inner)'
}

@test "layout: packed and aligned attributes, arrays sized by expressions, flexible arrays" {
	same_layout '
#define N 3
struct __attribute__((packed)) pk { char a; int b; long c; short d; };
struct al { char a; int b __attribute__((aligned(16))); char c; } __attribute__((aligned(32)));
struct mixed { char a; struct pk p; char b; struct al q; };
struct arr { char a[N * 2 + 1]; int b[(1 << 2) | 1]; char c[10 / 3 % 2 + (4 ^ 1)]; long d[2][3]; char e; };
struct flex { int n; long tail[]; };
#pragma pack(push, 2)
struct pragma_packed { char a; long b; };
#pragma pack(pop)' 'sizeof(struct pk)' 'offsetof(struct pk, b)' 'offsetof(struct pk, c)' \
	'offsetof(struct pk, d)' 'sizeof(struct al)' 'offsetof(struct al, b)' 'offsetof(struct al, c)' \
	'sizeof(struct mixed)' 'offsetof(struct mixed, p)' 'offsetof(struct mixed, b)' \
	'offsetof(struct mixed, q)' 'sizeof(struct arr)' 'offsetof(struct arr, b)' \
	'offsetof(struct arr, c)' 'offsetof(struct arr, d)' 'offsetof(struct arr, e)' \
	'sizeof(struct flex)' 'offsetof(struct flex, tail)' 'sizeof(struct pragma_packed)' \
	'offsetof(struct pragma_packed, b)'
}

@test "layout: typedef chains and function pointers" {
	same_layout '
typedef unsigned char u8_t;
typedef u8_t byte_t;
typedef byte_t bytes3_t[3];
typedef struct { bytes3_t b; long l; } anon_t;
typedef anon_t anon2_t;
typedef int (*callback_t)(int, char *);
struct fp { char c; callback_t cb; void (*raw)(void); anon2_t a; byte_t last; };' \
	'sizeof(struct fp)' 'offsetof(struct fp, cb)' 'offsetof(struct fp, raw)' \
	'offsetof(struct fp, a)' 'offsetof(struct fp, last)' 'sizeof(anon2_t)' 'sizeof(callback_t)' \
	'sizeof(bytes3_t)'
}

@test "layout: bit-fields of every width sit where gcc puts them" {
	{
		echo 'struct bf {'
		for w in $(seq 1 64); do
			if [ "$w" -le 8 ]; then t="unsigned char"; elif [ "$w" -le 16 ]; then t="unsigned short"
			elif [ "$w" -le 32 ]; then t="unsigned int"; else t="unsigned long long"; fi
			echo "	$t f$w:$w;"
		done
		echo '	char after;'
		echo '};'
		echo 'struct __attribute__((packed)) pbf { char a; unsigned int x:20; unsigned int y:12; unsigned long long z:33; };'
	} > "$TMP/bf.h"
	# gcc: set one field to all ones in a zeroed struct, report its first bit and width
	{
		printf '#include <stdio.h>\n#include <string.h>\n#include "bf.h"\n'
		printf 'static void show(const char *n, const unsigned char *p, size_t sz) {\n'
		printf '\tint first = -1, count = 0;\n\tfor (size_t i = 0; i < sz * 8; i++) if (p[i / 8] >> (i %% 8) & 1) { if (first < 0) first = (int)i; count++; }\n'
		printf '\tprintf("%%s %%d %%d\\n", n, first, count);\n}\n'
		printf 'int main(void) {\n'
		for w in $(seq 1 64); do printf '\t{ struct bf s; memset(&s, 0, sizeof s); s.f%d = ~0ULL; show("f%d", (void *)&s, sizeof s); }\n' "$w" "$w"; done
		for f in x y z; do printf '\t{ struct pbf s; memset(&s, 0, sizeof s); s.%s = ~0ULL; show("%s", (void *)&s, sizeof s); }\n' "$f" "$f"; done
		printf '\treturn 0;\n}\n'
	} > "$TMP/ref.c"
	gcc -w -o "$TMP/ref" "$TMP/ref.c"
	"$TMP/ref" > "$TMP/want"
	bt-parse -e '#include "bf.h"
BEGIN { $a = *(struct bf *)0; $b = *(struct pbf *)0; }' > "$TMP/in.ast"
	bt-check -I "$TMP" "$TMP/in.ast" > "$TMP/out.ir"
	# ["name", byte offset, type, bit offset, width] -> name, first bit, width
	for r in bf pbf; do
		bt-fmt --dump "$TMP/out.ir" | grep -m1 -o "\"name\": \"struct $r\", \"fields\": \\[.*\\]"
	done | grep -o '\["[a-z0-9]*", [0-9]*, [0-9]*, [0-9]*, [0-9]*\]' |
		tr -d '[]",' | awk '$5 > 0 { print $1, $2 * 8 + $4, $5 }' > "$TMP/got"
	diff "$TMP/want" "$TMP/got"
	# the member after them, and the sizes
	same_layout "$(cat "$TMP/bf.h")" 'sizeof(struct bf)' 'offsetof(struct bf, after)' 'sizeof(struct pbf)'
}

# field_types RECORD IR: "name type" for each field of RECORD in IR
field_types() {
	bt-fmt --dump "$2" | awk -v rec="\"name\": \"$1\", \"fields\"" '
		/^record 1/ { exit }
		match($0, /^ *\[[0-9]+\] [^{]+ {/) {
			idx = $0; sub(/^ *\[/, "", idx); sub(/\].*/, "", idx)
			t = $0; sub(/^ *\[[0-9]+\] /, "", t); sub(/  *{.*/, "", t); types[idx] = t
			if (index($0, rec) && !done) { line = $0; done = 1 }
		}
		END {
			sub(/.*"fields": \[/, "", line)
			n = split(line, parts, /\], \[/)
			for (i = 1; i <= n; i++) {
				gsub(/[\[\]"]/, "", parts[i]); split(parts[i], f, ", ")
				print f[1], types[f[3]]
			}
		}'
}

@test "types: C kinds map to bpftrace's (char arrays are strings, float and __int128 none, enums unsigned)" {
	bt-parse -e 'enum E { A = -1 };
struct K { char s[8]; unsigned char u[4]; signed char sc[2]; double d; enum E e; _Bool b; long l; unsigned short us; __int128 i; int *p; struct K *next; }
BEGIN { $k = *(struct K *)0; }' > "$TMP/in.ast"
	bt-check "$TMP/in.ast" > "$TMP/out.ir"
	run -0 field_types "struct K" "$TMP/out.ir"
	[ "$output" = "s string[8]
u unsigned int8[4]
sc int8[2]
d none
e unsigned int32
b unsigned int8
l int64
us unsigned int16
i none
p int32 *
next struct K *" ]
	bt-parse -e 'struct K { double d; } BEGIN { @ = ((struct K *)0)->d; }' > "$TMP/in.ast"
	run -1 bt-check "$TMP/in.ast"
}

@test "constants: #if with real precedence, macros and enums from headers" {
	mkdir -p "$TMP/inc"
	cat > "$TMP/inc/consts.h" <<'EOF'
#define BASE 10
#define DERIVED (BASE * 3 + (1 << 4) / 2 - 7 % 4)
#define MASK (0xf0 & 0x3c ^ 0x01 | 0x100)
#define NEGATIVE (-5)
#define TERNARY (DERIVED > 30 ? 1 : 2)
enum flags { F_A = 1 << 3, F_B = F_A * 2 + 1, F_C };
#if 1 || 0 && 0
#define OR_AND 1
#else
#define OR_AND 0
#endif
EOF
	printf '#include <stdio.h>\n#include "consts.h"\nint main(void) { printf("%%lld\\n%%lld\\n%%lld\\n%%lld\\n%%lld\\n%%lld\\n%%lld\\n", (long long)DERIVED, (long long)MASK, (long long)NEGATIVE, (long long)TERNARY, (long long)F_B, (long long)F_C, (long long)OR_AND); return 0; }\n' > "$TMP/ref.c"
	gcc -I "$TMP/inc" -o "$TMP/ref" "$TMP/ref.c"
	"$TMP/ref" > "$TMP/want"
	bt-parse -e '#include <consts.h>
BEGIN { @a = DERIVED; @b = MASK; @c = NEGATIVE; @d = TERNARY; @e = F_B; @f = F_C; @g = OR_AND; }' > "$TMP/in.ast"
	bt-check -I "$TMP/inc" "$TMP/in.ast" > "$TMP/out.ir"
	ir_ints "$TMP/out.ir" > "$TMP/got"
	diff "$TMP/want" "$TMP/got"
	[ "$(sed -n 7p "$TMP/got")" = 1 ]
}

@test "constants: a macro that is not an integer constant is an unknown identifier" {
	mkdir -p "$TMP/inc"
	printf '#define MY_FN_MACRO(x) (x)\n#define MY_TYPE_MACRO unsigned long\n' > "$TMP/inc/m.h"
	for id in MY_FN_MACRO MY_TYPE_MACRO; do
		bt-parse -e "#include <m.h>
BEGIN { @ = $id; }" > "$TMP/in.ast"
		run -1 bt-check -I "$TMP/inc" "$TMP/in.ast"
		[[ "$output" == *"ERROR: Unknown identifier: '$id'"* ]]
		# clang's complaints about our probe of the macro are not shown
		[[ "$output" != *"definitions.h:"* ]]
	done
}

# ---- messages, byte for byte with bpftrace ----

@test "messages: an unknown type is clang's error and bpftrace's hint" {
	bt-parse -e 'struct Foo { int x; unknown_t y; } BEGIN { }' > "$TMP/in.ast"
	run -1 bt-check "$TMP/in.ast"
	got=$(drop_kheaders_warning <<< "$output")
	[ "$got" = "definitions.h:2:21: error: unknown type name 'unknown_t'
ERROR: Include headers with missing type definitions or install BTF information to your system." ]
}

@test "messages: a missing header is reported at the script's line + 1" {
	bt-parse -e '#include "nonexist.h"
BEGIN { }' > "$TMP/in.ast"
	run -1 bt-check "$TMP/in.ast"
	got=$(drop_kheaders_warning <<< "$output")
	[ "$got" = "definitions.h:2:10: fatal error: 'nonexist.h' file not found" ]
}

@test "messages: a redefinition is clang's error, its note and bpftrace's warning" {
	bt-parse -e 'struct a { int x; }; struct a { int y; }; BEGIN { }' > "$TMP/in.ast"
	run -1 bt-check "$TMP/in.ast"
	got=$(drop_kheaders_warning <<< "$output")
	[ "$got" = "definitions.h:3:8: error: redefinition of 'a'
definitions.h:2:8: note: previous definition is here
WARNING: Cannot take type definitions from BTF since there is a redefinition conflict with user-defined types." ]
}

@test "messages: clang's warnings show only along with an error (as libclang shows them to bpftrace)" {
	bt-parse -e 'struct x { unsigned long x }; BEGIN { }' > "$TMP/in.ast"
	run --separate-stderr -0 bt-check "$TMP/in.ast" -o /dev/null
	[ "$(drop_kheaders_warning <<< "$stderr")" = "" ]
	bt-parse -e 'struct x { unsigned long x }; struct y { unknown_t z; }; BEGIN { }' > "$TMP/in.ast"
	run -1 bt-check "$TMP/in.ast"
	[ "$(drop_kheaders_warning <<< "$output")" = "definitions.h:2:27: warning: expected ';' at end of declaration list
definitions.h:3:12: error: unknown type name 'unknown_t'
ERROR: Include headers with missing type definitions or install BTF information to your system." ]
}

@test "messages: __attribute__ is accepted, a declaration clang refuses is an error (never dropped)" {
	bt-parse -e '#pragma pack(1)
struct A { char c; int x __attribute__((aligned(8))); char y __attribute__((aligned(4))); long z __attribute__((packed)); }
BEGIN { @a = sizeof(struct A); @b = offsetof(struct A, x); @c = offsetof(struct A, z); }' > "$TMP/in.ast"
	bt-check "$TMP/in.ast" > "$TMP/out.ir"
	printf '#include <stdio.h>\n#include <stddef.h>\n#pragma pack(1)\nstruct A { char c; int x __attribute__((aligned(8))); char y __attribute__((aligned(4))); long z __attribute__((packed)); };\nint main(void) { printf("%%zu %%zu %%zu \\n", sizeof(struct A), offsetof(struct A, x), offsetof(struct A, z)); return 0; }\n' > "$TMP/ref.c"
	gcc -w -o "$TMP/ref" "$TMP/ref.c"
	[ "$(ir_ints "$TMP/out.ir" | tr '\n' ' ')" = "$("$TMP/ref")" ]
	bt-parse -e 'struct B { int x; int y[-1]; } BEGIN { }' > "$TMP/in.ast"
	run -1 bt-check "$TMP/in.ast"
	[[ "$(drop_kheaders_warning <<< "$output")" == "definitions.h:2:"*": error: "* ]]
}

@test "headers: a syntax error, a header including itself, a 5 MB header: one clear error or a result" {
	mkdir -p "$TMP/inc"
	printf 'struct bad { int x; };\nint y = ;\n' > "$TMP/inc/bad.h"
	bt-parse -e '#include <bad.h>
BEGIN { }' > "$TMP/in.ast"
	run -1 bt-check -I "$TMP/inc" "$TMP/in.ast"
	[ "$(drop_kheaders_warning <<< "$output")" = "$TMP/inc/bad.h:2:9: error: expected expression" ]

	printf '#include "self.h"\n' > "$TMP/inc/self.h"
	bt-parse -e '#include <self.h>
BEGIN { }' > "$TMP/in.ast"
	run -1 bt-check -I "$TMP/inc" "$TMP/in.ast"
	[ "$(drop_kheaders_warning <<< "$output")" = "$TMP/inc/self.h:1:10: error: #include nested too deeply" ]

	awk 'BEGIN { for (i = 0; i < 200000; i++) printf "#define BIG_MACRO_NUMBER_%d (%d + 1)\n", i, i }
	     END { print "struct big { char pad[12345]; int last; };" }' /dev/null > "$TMP/inc/big.h"
	[ "$(stat -c %s "$TMP/inc/big.h")" -gt 5000000 ]
	bt-parse -e '#include <big.h>
BEGIN { @a = BIG_MACRO_NUMBER_199999; @b = offsetof(struct big, last); }' > "$TMP/in.ast"
	bt-check -I "$TMP/inc" "$TMP/in.ast" > "$TMP/out.ir"
	[ "$(ir_ints "$TMP/out.ir" | tr '\n' ' ')" = "200000 12348 " ]
}

@test "start-up: a program without C definitions does not load libclang" {
	bt-parse -e 'BEGIN { @x = 1; }' > "$TMP/in.ast"
	run -0 strace -f -e trace=openat -o "$TMP/trace" bt-check "$TMP/in.ast" -o /dev/null
	! grep -q 'libclang' "$TMP/trace"
	bt-parse -e 'struct S { int x; } BEGIN { @x = sizeof(struct S); }' > "$TMP/in.ast"
	run -0 strace -f -e trace=openat -o "$TMP/trace" bt-check "$TMP/in.ast" -o /dev/null
	grep -q 'libclang' "$TMP/trace"
}

# ---- kernel headers (Debian's linux-headers packages, unpacked here) ----

# Unpack Debian's 6.1 headers into build/ once (not installed); skip when
# apt cannot download them.
kernel_headers() {
	KH="$BT/test-kheaders"
	if [ ! -f "$KH/ready" ]; then
		command -v apt-get >/dev/null || skip "no apt-get to download kernel headers"
		local n
		n=$(apt-cache search --names-only '^linux-headers-6\.1\.0-[0-9]+-amd64$' 2>/dev/null |
			sed -n 's/^linux-headers-6\.1\.0-\([0-9]*\)-amd64 .*/\1/p' | sort -n | tail -1)
		[ -n "$n" ] || skip "apt knows no linux-headers-6.1.0-*-amd64 package"
		rm -rf "$KH" && mkdir -p "$KH/debs"
		(cd "$KH/debs" && apt-get download -q "linux-headers-6.1.0-$n-amd64" \
			"linux-headers-6.1.0-$n-common" linux-kbuild-6.1 >/dev/null 2>&1) ||
			skip "cannot download linux-headers-6.1.0-$n (no network?)"
		for d in "$KH"/debs/*.deb; do dpkg -x "$d" "$KH/root"; done
		rm -rf "$KH/debs"
		echo "$n" > "$KH/ready"
	fi
	local n
	n=$(cat "$KH/ready")
	KSRC="$KH/root/usr/src/linux-headers-6.1.0-$n-common"
	KBUILD="$KH/root/usr/src/linux-headers-6.1.0-$n-amd64"
	[ -d "$KSRC/include" ] && [ -d "$KBUILD/include" ]
}

@test "kernel headers: <linux/sched.h> and <linux/socket.h> via BPFTRACE_KERNEL_SOURCE/BUILD, values as clang computes them" {
	[ "$(uname -m)" = x86_64 ] || skip "the downloaded headers are amd64's"
	kernel_headers
	# the reference: clang-16 compiles the same headers with the kernel's flags
	cat > "$TMP/ref.c" <<'EOF'
#include <linux/sched.h>
#include <linux/socket.h>
long v_running = TASK_RUNNING, v_inet = AF_INET, v_comm = TASK_COMM_LEN;
long v_size = sizeof(struct task_struct), v_pid = __builtin_offsetof(struct task_struct, pid);
long v_tgid = __builtin_offsetof(struct task_struct, tgid), v_sockaddr = sizeof(struct sockaddr);
EOF
	res=$(clang-16 -print-resource-dir)/include
	clang-16 -S -emit-llvm -o "$TMP/ref.ll" -nostdinc -isystem "$res" \
		-I"$KSRC/arch/x86/include" -I"$KBUILD/arch/x86/include/generated" -I"$KSRC/include" \
		-I"$KBUILD/include" -I"$KSRC/arch/x86/include/uapi" -I"$KBUILD/arch/x86/include/generated/uapi" \
		-I"$KSRC/include/uapi" -I"$KBUILD/include/generated/uapi" -include "$KSRC/include/linux/kconfig.h" \
		-D__KERNEL__ -D__BPF_TRACING__ -w "$TMP/ref.c"
	for v in running inet comm size pid tgid sockaddr; do
		sed -n "s/^@v_$v = .*global i64 \(-\{0,1\}[0-9]*\).*/\1/p" "$TMP/ref.ll"
	done > "$TMP/want"
	[ "$(wc -l < "$TMP/want")" -eq 7 ]
	bt-parse -e '#include <linux/sched.h>
#include <linux/socket.h>
BEGIN { @a = TASK_RUNNING; @b = AF_INET; @c = TASK_COMM_LEN; @d = sizeof(struct task_struct);
        @e = offsetof(struct task_struct, pid); @f = offsetof(struct task_struct, tgid); @g = sizeof(struct sockaddr); }' > "$TMP/in.ast"
	BPFTRACE_KERNEL_SOURCE="$KSRC" BPFTRACE_KERNEL_BUILD="$KBUILD" \
		bt-check "$TMP/in.ast" > "$TMP/out.ir" 2> "$TMP/err"
	ir_ints "$TMP/out.ir" > "$TMP/got"
	diff "$TMP/want" "$TMP/got"
	! grep -q 'Could not find kernel headers' "$TMP/err"
	# a field of a kernel struct from those headers
	bt-parse -e '#include <linux/sched.h>
kprobe:do_nanosleep { @[((struct task_struct *)curtask)->pid] = count(); }' > "$TMP/in.ast"
	BPFTRACE_KERNEL_SOURCE="$KSRC" BPFTRACE_KERNEL_BUILD="$KBUILD" \
		bt-check "$TMP/in.ast" > "$TMP/out.ir" 2>/dev/null
	bt-fmt --dump "$TMP/out.ir" | grep '"k": "field"' | grep -q "\"num\": $(sed -n 5p "$TMP/want"),"
}

@test "kernel headers: BPFTRACE_KERNEL_BUILD defaults to the source directory; a wrong one fails with clang's message" {
	kernel_headers
	bt-parse -e '#include <linux/socket.h>
BEGIN { @ = AF_INET6; }' > "$TMP/in.ast"
	# the source tree alone lacks the generated headers
	BPFTRACE_KERNEL_SOURCE="$KSRC" run -1 bt-check "$TMP/in.ast"
	[[ "$output" == *": fatal error: '"*"' file not found"* ]]
	BPFTRACE_KERNEL_SOURCE="$TMP/none" run -1 bt-check "$TMP/in.ast"
	[[ "$output" == *"fatal error: '$TMP/none/include/linux/kconfig.h' file not found"* ]]
	BPFTRACE_KERNEL_SOURCE="$KSRC" BPFTRACE_KERNEL_BUILD="$KBUILD" run -0 bt-check "$TMP/in.ast" -o /dev/null
}

@test "kernel headers: --snapshot keeps the headers clang read; --sysroot compiles from them alone" {
	kernel_headers
	bt-parse -e '#include <linux/sched.h>
BEGIN { @a = TASK_RUNNING; @b = TASK_COMM_LEN; @c = offsetof(struct task_struct, pid); }' > "$TMP/in.ast"
	BPFTRACE_KERNEL_SOURCE="$KSRC" BPFTRACE_KERNEL_BUILD="$KBUILD" \
		bt-check --snapshot "$TMP/snap" "$TMP/in.ast" > "$TMP/live.ir" 2>/dev/null
	[ "$(cat "$TMP/snap/kheaders/machine")" = "$(uname -m)" ]
	cmp "$TMP/snap/kheaders/source/include/linux/sched.h" "$KSRC/include/linux/sched.h"
	[ -f "$TMP/snap/kheaders/build/include/generated/autoconf.h" ]
	# the live machine's headers (none here, or wrong ones) play no part
	BPFTRACE_KERNEL_SOURCE="$TMP/nowhere" bt-check --sysroot "$TMP/snap" "$TMP/in.ast" > "$TMP/offline.ir" 2>/dev/null
	cmp "$TMP/live.ir" "$TMP/offline.ir"
	# a snapshot without kernel headers has none
	bt-check --snapshot "$TMP/snap2" -o /dev/null "$TMP/in.ast" 2>/dev/null || true
	BPFTRACE_KERNEL_SOURCE="$KSRC" BPFTRACE_KERNEL_BUILD="$KBUILD" run -1 bt-check --sysroot "$TMP/snap2" "$TMP/in.ast"
	[[ "$output" == "WARNING: Could not find kernel headers in  or . To specify"* ]]
}

@test "kernel headers: a tool that includes <linux/sched.h> runs through the driver" {
	require_root
	kernel_headers
	BPFTRACE_KERNEL_SOURCE="$KSRC" BPFTRACE_KERNEL_BUILD="$KBUILD" \
		run --separate-stderr timeout 60 "$BT/bpftrace" -e '#include <linux/sched.h>
#include <linux/socket.h>
BEGIN { printf("%d %d %d\n", TASK_RUNNING, AF_INET, TASK_COMM_LEN); exit(); }'
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "0 2 16" ]
	[ "$stderr" = "" ]
}

# in_fake_modules SOURCE BUILD CMD...: run CMD where /lib/modules/$(uname -r)
# holds `source` -> SOURCE and `build` -> BUILD (either may be "", absent),
# in a private mount namespace over an overlay of /usr/lib: the machine's
# own /lib/modules is not touched.
in_fake_modules() {
	local src="$1" bld="$2"
	shift 2
	mkdir -p "$TMP/ovl/up" "$TMP/ovl/work"
	unshare -m sh -c '
		mount -t overlay overlay -o "lowerdir=/usr/lib,upperdir=$0/up,workdir=$0/work" /usr/lib || exit 99
		d=/usr/lib/modules/$(uname -r)
		rm -rf "$d" && mkdir -p "$d" || exit 99
		[ -z "$1" ] || ln -s "$1" "$d/source"
		[ -z "$2" ] || ln -s "$2" "$d/build"
		shift 2
		exec "$@"' "$TMP/ovl" "$src" "$bld" "$@"
}

@test "kernel headers: /lib/modules/\$(uname -r)/source and build, either serving as both; the variables win" {
	[ "$(id -u)" = 0 ] || skip "needs root for a private mount namespace"
	kernel_headers
	in_fake_modules "" "" true; [ $? -ne 99 ] || skip "no overlayfs/unshare here"
	bt-parse -e '#include <linux/sched.h>
BEGIN { @ = TASK_COMM_LEN; }' > "$TMP/in.ast"
	run in_fake_modules "$KSRC" "$KBUILD" bt-check "$TMP/in.ast" -o "$TMP/out.ir"
	[ "$status" -eq 0 ]
	[[ "$output" != *"Could not find kernel headers"* ]]
	[ "$(ir_ints "$TMP/out.ir")" = 16 ]
	# build alone is the source directory too (Debian's build tree lacks the headers)
	run in_fake_modules "" "$KBUILD" bt-check "$TMP/in.ast" -o /dev/null
	[ "$status" -eq 1 ]
	[[ "$output" == *"fatal error: '/lib/modules/$(uname -r)/build/include/linux/kconfig.h' file not found"* ]]
	# source alone is the build directory too (no generated headers there)
	run in_fake_modules "$KSRC" "" bt-check "$TMP/in.ast" -o /dev/null
	[ "$status" -eq 1 ]
	[[ "$output" == *"/lib/modules/$(uname -r)/source/include/linux/kconfig.h:5:10: fatal error: 'generated/autoconf.h' file not found"* ]]
	# BPFTRACE_KERNEL_SOURCE and _BUILD are used instead
	run in_fake_modules "" "$KBUILD" env BPFTRACE_KERNEL_SOURCE="$KSRC" BPFTRACE_KERNEL_BUILD="$KBUILD" \
		bt-check "$TMP/in.ast" -o /dev/null
	[ "$status" -eq 0 ]
}
