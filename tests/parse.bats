#!/usr/bin/env bats
# bt-parse: the v0.20 language (every syntax form, checked through the -d
# tree of bpftrace -d), bpftrace's syntax/lexer/attach point messages
# (docs/bpftrace-compat.md), the guide's programs, the ast stream, and bad
# input of every kind.
load helpers

setup() {
	TMP="$(mktemp -d)"
}

teardown() {
	rm -rf "$TMP"
}

# ast PROG [ARGS...] <<EOF tree EOF: the tree part of --dump-plain.
ast() {
	local expected got
	expected="$(cat)"
	run bt-parse --dump-plain -e "$@"
	if [ "$status" -ne 0 ]; then
		echo "status $status: $output"
		return 1
	fi
	got="$(printf '%s\n' "$output" | sed '1,3d')"
	if [ "$got" != "$expected" ]; then
		diff -u <(printf '%s\n' "$expected") <(printf '%s\n' "$got")
		return 1
	fi
}

# err PROG [ARGS...] <<EOF messages EOF: exit 1 with exactly these messages.
err() {
	local expected
	expected="$(cat)"
	run bt-parse -e "$@"
	if [ "$status" -ne 1 ] || [ "$output" != "$expected" ]; then
		echo "status $status"
		diff -u <(printf '%s\n' "$expected") <(printf '%s\n' "$output")
		return 1
	fi
}

# ---------------------------------------------------------------- probes

@test "probe: every provider alias becomes its full name" {
	ast 'k:f,kr:f,u:/bin/sh:main,ur:/bin/sh:main,t:sched:sched_switch,rt:sched_switch,s:cpu-clock:1000,h:cycles:100,i:s:1,p:hz:99,w:0x1000:8:w,aw:0x1000:8:w,f:vfs_read,fr:vfs_read,it:task,U:/bin/sh:probe { }' <<'EOF'
Program
 kprobe:f
 kretprobe:f
 uprobe:/bin/sh:main
 uretprobe:/bin/sh:main
 tracepoint:sched:sched_switch
 rawtracepoint:sched_switch
 software:cpu-clock:1000
 hardware:cycles:100
 interval:s:1
 profile:hz:99
 watchpoint:4096:8:w
 asyncwatchpoint:4096:8:w
 kfunc:vfs_read
 kretfunc:vfs_read
 iter:task
 usdt:/bin/sh:probe
EOF
}

@test "probe: full provider names, fentry/fexit, BEGIN and END" {
	ast 'kprobe:a,kretprobe:a,uprobe:/x:a,uretprobe:/x:a,tracepoint:a:b,rawtracepoint:a,software:a,hardware:a,interval:ms:5,profile:us:5,watchpoint:1:1:rw,asyncwatchpoint:1:2:x,kfunc:a,kretfunc:a,iter:a,usdt:/x:a,fentry:a,fexit:a,BEGIN,END { }' <<'EOF'
Program
 kprobe:a
 kretprobe:a
 uprobe:/x:a
 uretprobe:/x:a
 tracepoint:a:b
 rawtracepoint:a
 software:a
 hardware:a
 interval:ms:5
 profile:us:5
 watchpoint:1:1:rw
 asyncwatchpoint:1:2:x
 kfunc:a
 kretfunc:a
 iter:a
 usdt:/x:a
 kfunc:a
 kretfunc:a
 BEGIN
 END
EOF
}

@test "attach point: library, binary path, kernel module" {
	ast 'uprobe:libc:malloc, uprobe:/lib/x86_64-linux-gnu/libc.so.6:free, uretprobe:./a.out:main, kfunc:mymod:func, kretfunc:vmlinux:f { }' <<'EOF'
Program
 uprobe:libc:malloc
 uprobe:/lib/x86_64-linux-gnu/libc.so.6:free
 uretprobe:./a.out:main
 kfunc:mymod:func
 kretfunc:vmlinux:f
EOF
}

@test "attach point: +offset (base 0) and absolute addresses" {
	ast 'kprobe:f+0x10, kprobe:g+8, uprobe:/bin/sh:main+010, uprobe:/bin/sh:0x1234, uprobe:/bin/sh:4660, uprobe:/bin/sh:1234abc { }' <<'EOF'
Program
 kprobe:f+16
 kprobe:g+8
 uprobe:/bin/sh:main+8
 uprobe:/bin/sh:4660
 uprobe:/bin/sh:4660
 uprobe:/bin/sh:1234abc
EOF
}

@test "attach point: usdt with and without namespace" {
	ast 'usdt:/bin/sh:probe, usdt:/bin/sh:ns:probe, U:/usr/lib/libc.so.6:libc:setjmp { }' <<'EOF'
Program
 usdt:/bin/sh:probe
 usdt:/bin/sh:ns:probe
 usdt:/usr/lib/libc.so.6:libc:setjmp
EOF
}

@test "attach point: watchpoints by address and by function argument" {
	ast 'watchpoint:0x10000000:8:rw, watchpoint:increment+arg1:4:w, asyncwatchpoint:increment+arg0:2:x { }' <<'EOF'
Program
 watchpoint:268435456:8:rw
 watchpoint:increment:4:w
 asyncwatchpoint:increment:2:x
EOF
}

@test "attach point: iter with and without a pin path" {
	ast 'iter:task, iter:task_file:/sys/fs/bpf/files, it:task_vma:pin { }' <<'EOF'
Program
 iter:task
 iter:task_file
 iter:task_vma
EOF
}

@test "attach point: uprobe with a C++ language part and a quoted symbol" {
	ast 'uprobe:/bin/prog:cpp:"ns::fn(int)", u:/bin/prog:cpp:fn { }' <<'EOF'
Program
 uprobe:/bin/prog:cpp:ns::fn(int)
 uprobe:/bin/prog:cpp:fn
EOF
}

@test "attach point: quoted parts keep spaces and colons" {
	ast 'uprobe:"/tmp/my prog":"fn", usdt:"/a:b":"p" { }' <<'EOF'
Program
 uprobe:/tmp/my prog:fn
 usdt:/a:b:p
EOF
}

@test "attach point: wildcards, including a wildcarded provider" {
	ast 'kprobe:vfs_*, tracepoint:syscalls:sys_enter_*, tracepoint:sched*, kfunc:*read*, *ware:*, t*point:sched:sched_switch, profile:* { }' <<'EOF'
Program
 kprobe:vfs_*
 tracepoint:syscalls:sys_enter_*
 tracepoint:*:sched*
 kfunc:*:*read*
 hardware:*
 software:*
 tracepoint:sched:sched_switch
 profile:*
EOF
}

@test "attach point: a wildcarded provider with a path part means userspace" {
	ast '*:/bin/sh:* { }' <<'EOF'
Program
 uprobe:/bin/sh:*
 usdt:/bin/sh:*
EOF
}

@test "attach point: several per probe, trailing comma, several probes" {
	ast 'BEGIN, END, { } i:s:1 { }' <<'EOF'
Program
 BEGIN
 END
 interval:s:1
EOF
}

@test "attach point: positional parameters are substituted" {
	ast 'uprobe:$1:$2, i:s:$3, kprobe:$1"here", uprobe:"$1":$2, uprobe:"zz"$2"zz":"aa"$1 { }' -- foo bar 5 <<'EOF'
Program
 uprobe:foo:bar
 interval:s:5
 kprobe:foohere
 uprobe:$1:bar
 uprobe:zzbarzz:aafoo
EOF
}

@test "attach point: a parameter holding ':' splits, a missing one is empty" {
	ast 'uprobe:$1 { } kprobe:f$9 { }' /bin/sh:main <<'EOF'
Program
 uprobe:/bin/sh:main
 kprobe:f
EOF
}

@test "attach point: interval rates and event counts use integer literals" {
	ast 'interval:s:1e3, interval:ms:1_000, software:faults:, hardware:cache-misses:1e6 { }' <<'EOF'
Program
 interval:s:1000
 interval:ms:1000
 software:faults
 hardware:cache-misses:1000000
EOF
}

@test "attach point: BEGIN tolerates a single :*" {
	ast 'BEGIN:* { }' <<'EOF'
Program
 BEGIN
EOF
}

@test "attach point errors: part counts per provider" {
	err 'BEGIN:x { }' <<'EOF'
stdin:1:1-8: ERROR: BEGIN probe type requires 0 arguments, found 1
BEGIN:x { }
~~~~~~~
EOF
	err 'kprobe:a:b { }' <<'EOF'
stdin:1:1-11: ERROR: kprobe probe type requires 1 arguments, found 2
kprobe:a:b { }
~~~~~~~~~~
EOF
	err 'uprobe:f { }' <<'EOF'
stdin:1:1-9: ERROR: uprobe probe type requires 2 or 3 arguments, found 1
uprobe:f { }
~~~~~~~~
EOF
	err 'usdt:a:b:c:d { }' <<'EOF'
stdin:1:1-13: ERROR: usdt probe type requires 2 or 3 arguments, found 4
usdt:a:b:c:d { }
~~~~~~~~~~~~
EOF
	err 'interval:s { }' <<'EOF'
stdin:1:1-11: ERROR: interval probe type requires 2 arguments, found 1
interval:s { }
~~~~~~~~~~
EOF
	err 'software:a:1:2 { }' <<'EOF'
stdin:1:1-15: ERROR: software probe type requires 1 or 2 arguments, found 3
software:a:1:2 { }
~~~~~~~~~~~~~~
EOF
	err 'watchpoint:0x1000:8 { }' <<'EOF'
stdin:1:1-20: ERROR: watchpoint probe type requires 3 arguments, found 2
watchpoint:0x1000:8 { }
~~~~~~~~~~~~~~~~~~~
EOF
	err 'kfunc:a:b:c { }' <<'EOF'
stdin:1:1-12: ERROR: kfunc probe type requires 1 or 2 arguments, found 3
kfunc:a:b:c { }
~~~~~~~~~~~
EOF
	err 'iter:task:a:b { }' <<'EOF'
stdin:1:1-14: ERROR: iter probe type takes 2 arguments (1 optional)
iter:task:a:b { }
~~~~~~~~~~~~~
EOF
}

@test "attach point errors: bpftrace's example (error location starts after the previous token)" {
	err 'uprobe:asdf:Stream {} tracepoint:only_one_arg {}' <<'EOF'
stdin:1:22-46: ERROR: tracepoint probe type requires 2 arguments, found 1
uprobe:asdf:Stream {} tracepoint:only_one_arg {}
                     ~~~~~~~~~~~~~~~~~~~~~~~~
EOF
}

@test "attach point errors: offsets, rates, counts, watchpoint parts" {
	err 'kprobe:f+0x10+1 { }' <<'EOF'
stdin:1:1-16: ERROR: Cannot take more than one offset
kprobe:f+0x10+1 { }
~~~~~~~~~~~~~~~
EOF
	err 'kprobe:f+zz { }' <<'EOF'
stdin:1:1-12: ERROR: Invalid offset
kprobe:f+zz { }
~~~~~~~~~~~
EOF
	err 'kretprobe:f+1 { }' <<'EOF'
stdin:1:1-14: ERROR: Offset not allowed
kretprobe:f+1 { }
~~~~~~~~~~~~~
EOF
	err 'interval:s:1x { }' <<'EOF'
stdin:1:1-14: ERROR: Found trailing non-numeric characters
Invalid rate of interval probe
interval:s:1x { }
~~~~~~~~~~~~~
EOF
	err 'hardware:cycles:1x { }' <<'EOF'
stdin:1:1-19: ERROR: Found trailing non-numeric characters
Invalid count for hardware probe
hardware:cycles:1x { }
~~~~~~~~~~~~~~~~~~
EOF
	err 'watchpoint:f+foo:8:w { }' <<'EOF'
stdin:1:1-21: ERROR: Invalid function argument
watchpoint:f+foo:8:w { }
~~~~~~~~~~~~~~~~~~~~
EOF
	# FUNC+argN is split on '+' without empty pieces: exactly two pieces
	err 'watchpoint:+arg0:8:rw { 1 }' <<'EOF'
stdin:1:1-22: ERROR: Invalid function/address argument
watchpoint:+arg0:8:rw { 1 }
~~~~~~~~~~~~~~~~~~~~~
EOF
	err 'watchpoint:f+arg0+x:8:w { }' <<'EOF'
stdin:1:1-24: ERROR: Invalid function/address argument
watchpoint:f+arg0+x:8:w { }
~~~~~~~~~~~~~~~~~~~~~~~
EOF
	err 'watchpoint:0x1000:z:w { }' <<'EOF'
stdin:1:1-22: ERROR: stoull
Invalid length argument
watchpoint:0x1000:z:w { }
~~~~~~~~~~~~~~~~~~~~~
EOF
	err 'uprobe:/bin/*:0x1000 { }' <<'EOF'
stdin:1:1-21: ERROR: Cannot use wildcards with absolute address
uprobe:/bin/*:0x1000 { }
~~~~~~~~~~~~~~~~~~~~
EOF
	err 'iter:task* { }' <<'EOF'
stdin:1:1-11: ERROR: iter probe type does not support wildcards
iter:task* { }
~~~~~~~~~~
EOF
}

@test "attach point errors: providers, parameters, one error per bad attach point" {
	err 'foo:bar { }' <<'EOF'
stdin:1:1-8: ERROR: Invalid probe type: foo
foo:bar { }
~~~~~~~
EOF
	err '*foo:bar,BEGIN { }' <<'EOF'
stdin:1:1-9: ERROR: No probe type matched for *foo
*foo:bar,BEGIN { }
~~~~~~~~
EOF
	err 'kprobe:$1abc {}' x <<'EOF'
stdin:1:1-13: ERROR: Found trailing text 'abc' in positional parameter index. Try quoting the trailing text.
kprobe:$1abc {}
~~~~~~~~~~~~
stdin:1:1-1: ERROR: No attach points for probe
kprobe:$1abc {}
EOF
	err 'kprobe:$# { }' <<'EOF'
stdin:1:1-10: ERROR: Not a positional parameter
kprobe:$# { }
~~~~~~~~~
EOF
	err 'BEGIN:1, END:2 { }' <<'EOF'
stdin:1:1-8: ERROR: BEGIN probe type requires 0 arguments, found 1
BEGIN:1, END:2 { }
~~~~~~~
stdin:1:9-15: ERROR: END probe type requires 0 arguments, found 1
BEGIN:1, END:2 { }
        ~~~~~~
EOF
}

@test "attach point: with -p, uprobe and usdt need no path" {
	run bt-parse --dump-plain -p 123 -e 'uprobe:readline, uprobe:cpp:fn, usdt:probe { }'
	[ "$status" -eq 0 ]
	[ "${lines[3]}" = " uprobe:readline" ]
	[ "${lines[4]}" = " uprobe:cpp:fn" ]
	[ "${lines[5]}" = " usdt:probe" ]
	run bt-parse -e 'uprobe:readline { }'
	[ "$status" -eq 1 ]
}

# ----------------------------------------------------- listing (-l)

@test "listing: attach points only, wildcard providers expand to the kernel list" {
	run bt-parse --listing --dump-plain -e '*sleep*'
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | sed '1,3d')" = "$(printf '%s\n' Program ' hardware:*sleep*' ' iter:*sleep*' ' kfunc:*:*sleep*' ' kprobe:*sleep*' ' rawtracepoint:*sleep*' ' software:*sleep*' ' tracepoint:*:*sleep*')" ]
	run bt-parse --listing --dump-plain -e 'kprobe:vfs_*,tracepoint:syscalls:*'
	[ "$status" -eq 0 ]
	[ "${lines[3]}" = " kprobe:vfs_*" ]
	[ "${lines[4]}" = " tracepoint:syscalls:*" ]
}

@test "listing: a block is refused, and a missing block outside listing" {
	run bt-parse --listing -e 'BEGIN { }'
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "stdin:1:1-10: ERROR: unexpected listing query format" ]
	err 'kprobe:f' <<'EOF'
stdin:1:1-9: ERROR: unexpected end of file, expected {
kprobe:f
~~~~~~~~
EOF
}

# ------------------------------------------------------ statements

@test "predicate: bpftrace's precedence example" {
	ast 'kprobe:sys_open / 1 <= 2 && (9 - 4 != 5*10 || ~0) || comm == "string" / { 1; }' <<'EOF'
Program
 kprobe:sys_open
  pred
   ||
    &&
     <=
      int: 1
      int: 2
     ||
      !=
       -
        int: 9
        int: 4
       *
        int: 5
        int: 10
      ~
       int: 0
    ==
     builtin: comm
     string: string
  int: 1
EOF
}

@test "predicate: end predicate before a newline, a comment, or a '/'-predicate division" {
	ast 'BEGIN /100/25/
// comment
{ }' <<'EOF'
Program
 BEGIN
  pred
   /
    int: 100
    int: 25
EOF
}

@test "if / else if / else nest, as bpftrace prints them" {
	ast 'kprobe:f { if (pid > 10000) { $s = 10; } else if (pid < 10) { $s = 2; } else { $s = 1 } }' <<'EOF'
Program
 kprobe:f
  if
   >
    builtin: pid
    int: 10000
   then
    =
     variable: $s
     int: 10
   else
    if
     <
      builtin: pid
      int: 10
     then
      =
       variable: $s
       int: 2
     else
      =
       variable: $s
       int: 1
EOF
}

@test "while with break and continue (and the printer's depth quirk)" {
	ast 'interval:ms:100 { $a = 0; while ($a < 10) { $a++; if ($a == 5) { continue } break; } $b = 1 }' <<'EOF'
Program
 interval:ms:100
  =
   variable: $a
   int: 0
  while(
   <
    variable: $a
    int: 10
   )
    variable: $a
     ++
    if
     ==
      variable: $a
      int: 5
     then
      continue
    break
    =
     variable: $b
     int: 1
EOF
}

@test "unroll with a literal and with a positional parameter; return" {
	ast 'BEGIN { unroll(5) { @i++ } unroll($1) { return; } return }' <<'EOF'
Program
 BEGIN
  unroll
   int: 5
   block
    map: @i
     ++
  unroll
   param: $1
   block
    return
  return
EOF
}

@test "statements: ';' separates, the last may omit it, blocks take none" {
	ast 'BEGIN { 1; 2 } END { if (1) { } 3; while (0) { } }' <<'EOF'
Program
 BEGIN
  int: 1
  int: 2
 END
  if
   int: 1
   then
  int: 3
  while(
   int: 0
   )
EOF
}

@test "statement errors: ';;', ';' after a block, for, chained assignment" {
	err 'BEGIN { $x = 1 ;; }' <<'EOF'
stdin:1:16-18: ERROR: syntax error, unexpected ;, expecting }
BEGIN { $x = 1 ;; }
               ~~
EOF
	err 'BEGIN { if (1) {}; }' <<'EOF'
stdin:1:16-19: ERROR: syntax error, unexpected ;, expecting }
BEGIN { if (1) {}; }
               ~~~
EOF
	err 'BEGIN { for }' <<'EOF'
stdin:1:9-12: ERROR: syntax error, unexpected for, expecting }
BEGIN { for }
        ~~~
EOF
	err 'BEGIN { $a = $b = 1 }' <<'EOF'
stdin:1:17-18: ERROR: syntax error, unexpected =, expecting }
BEGIN { $a = $b = 1 }
                ~
EOF
	err 'BEGIN { if (1) { } else }' <<'EOF'
stdin:1:25-26: ERROR: syntax error, unexpected }, expecting { or if
BEGIN { if (1) { } else }
                        ~
EOF
}

@test "ternary: right associative; ':' needs a space before a literal" {
	ast 'kprobe:sys_open { @x = pid < 10000 ? "lo" : "high"; $y = 1 ? 2 : 3 ? 4 : 5 }' <<'EOF'
Program
 kprobe:sys_open
  =
   map: @x
   ?:
    <
     builtin: pid
     int: 10000
    string: lo
    string: high
  =
   variable: $y
   ?:
    int: 1
    int: 2
    ?:
     int: 3
     int: 4
     int: 5
EOF
	err 'BEGIN { @a = 1 ? 2 :3 }' <<'EOF'
stdin:1:20-22: ERROR: syntax error, unexpected path, expecting :
BEGIN { @a = 1 ? 2 :3 }
                   ~~
EOF
}

# -------------------------------------------------------- expressions

@test "operators: C precedence from '||' down to '*'" {
	ast 'BEGIN { 1 || 2 && 3 | 4 ^ 5 & 6 == 7 != 8 < 9 <= 10 > 11 >= 12 << 13 >> 14 + 15 - 16 * 17 / 18 % 19 }' <<'EOF'
Program
 BEGIN
  ||
   int: 1
   &&
    int: 2
    |
     int: 3
     ^
      int: 4
      &
       int: 5
       !=
        ==
         int: 6
         int: 7
        >=
         >
          <=
           <
            int: 8
            int: 9
           int: 10
          int: 11
         >>
          <<
           int: 12
           int: 13
          -
           +
            int: 14
            int: 15
           %
            /
             *
              int: 16
              int: 17
             int: 18
            int: 19
EOF
}

@test "operators: the test suite's prefix, cast and shift examples" {
	ast 'BEGIN { *@x+1; *@x**@y; *@x.myfield; (arg1)*arg0; 2 < 1 >> 8 }' <<'EOF'
Program
 BEGIN
  +
   dereference
    map: @x
   int: 1
  *
   dereference
    map: @x
   dereference
    map: @y
  dereference
   .
    map: @x
    myfield
  *
   builtin: arg1
   builtin: arg0
  <
   int: 2
   >>
    int: 1
    int: 8
EOF
}

@test "operators: unary minus, negative literals, logical and bitwise not" {
	ast 'BEGIN { -1; - 1; 5 -1; -$x; !$x; ~$x; -(1); !!1 }' <<'EOF'
Program
 BEGIN
  int: -1
  int: -1
  -
   int: 5
   int: 1
  -
   variable: $x
  !
   variable: $x
  ~
   variable: $x
  -
   int: 1
  !
   !
    int: 1
EOF
}

@test "compound assignments on maps and variables" {
	ast 'BEGIN { @x += 1; @y[1] -= 2; $a *= 3; $b /= 4; $c %= 5; $d &= 6; $e |= 7; $f ^= 8; $g <<= 9; $h >>= 10 }' <<'EOF'
Program
 BEGIN
  =
   map: @x
   +
    map: @x
    int: 1
  =
   map: @y
    int: 1
   -
    map: @y
     int: 1
    int: 2
  =
   variable: $a
   *
    variable: $a
    int: 3
  =
   variable: $b
   /
    variable: $b
    int: 4
  =
   variable: $c
   %
    variable: $c
    int: 5
  =
   variable: $d
   &
    variable: $d
    int: 6
  =
   variable: $e
   |
    variable: $e
    int: 7
  =
   variable: $f
   ^
    variable: $f
    int: 8
  =
   variable: $g
   <<
    variable: $g
    int: 9
  =
   variable: $h
   >>
    variable: $h
    int: 10
EOF
}

@test "++ and -- before and after variables and maps" {
	ast 'kprobe:sys_open { $x++; ++$x; $x--; --$x; @x++; --@y[1] }' <<'EOF'
Program
 kprobe:sys_open
  variable: $x
   ++
  ++
   variable: $x
  variable: $x
   --
  --
   variable: $x
  map: @x
   ++
  --
   map: @y
    int: 1
EOF
}

@test "++/-- errors: only maps and variables" {
	err 'BEGIN { x++ }' <<'EOF'
stdin:1:9-10: ERROR: The ++ operator must be applied to a map or variable
BEGIN { x++ }
        ~
EOF
	err 'BEGIN { --pid }' <<'EOF'
stdin:1:9-11: ERROR: The -- operator must be applied to a map or variable
BEGIN { --pid }
        ~~
EOF
}

@test "field access, ->, array indexing, builtin and call names as fields" {
	ast 'kprobe:f { arg0->a->b.c[1][2]; args.count; $t->pid }' <<'EOF'
Program
 kprobe:f
  []
   []
    .
     .
      dereference
       .
        dereference
         builtin: arg0
        a
      b
     c
    int: 1
   int: 2
  .
   builtin: args
   count
  .
   dereference
    variable: $t
   pid
EOF
}

@test "tuples and tuple indexing; assigning to a tuple element fails" {
	ast 'BEGIN { $t = (1, (2, "x")); $t.1.0 }' <<'EOF'
Program
 BEGIN
  =
   variable: $t
   tuple:
    int: 1
    tuple:
     int: 2
     string: x
  .
   .
    variable: $t
    1
   0
EOF
	err 'i:s:1 { @x = (1, 2); $x.1 = 1; }' <<'EOF'
stdin:1:22-30: ERROR: Tuples are immutable once created. Consider creating a new tuple and assigning it instead.
i:s:1 { @x = (1, 2); $x.1 = 1; }
                     ~~~~~~~~
EOF
}

@test "maps: bare @, several keys; positional parameters and \$#" {
	ast 'BEGIN { @ = 1; @m[pid, comm, "x"] = count(); @n[$1] = $#; $2 }' <<'EOF'
Program
 BEGIN
  =
   map: @
   int: 1
  =
   map: @m
    builtin: pid
    builtin: comm
    string: x
   call: count
  =
   map: @n
    param: $1
   param: $#
  param: $2
EOF
	err 'BEGIN { $0 }' <<'EOF'
stdin:1:9-11: ERROR: param $0 is out of integer range [1, 9223372036854775807]
BEGIN { $0 }
        ~~
EOF
}

@test "calls, builtins, call-builtins bare and called, stack modes" {
	ast 'k:f { printf("%d %s\n", pid, comm); @[kstack] = count(); @u = ustack(perf, 3); exit(); $t = nsecs; $n = nsecs(); @s = kstack(raw) }' <<'EOF'
Program
 kprobe:f
  call: printf
   string: %d %s\n
   builtin: pid
   builtin: comm
  =
   map: @
    builtin: kstack
   call: count
  =
   map: @u
   call: ustack
    stack_mode: perf
    int: 3
  call: exit
  =
   variable: $t
   builtin: nsecs
  =
   variable: $n
   call: nsecs
  =
   map: @s
   call: kstack
    stack_mode: raw
EOF
}

@test "calls: unknown functions are refused at the name" {
	err 'BEGIN { foo(1) }' <<'EOF'
stdin:1:9-12: ERROR: Unknown function: foo
BEGIN { foo(1) }
        ~~~
EOF
	err 'BEGIN { perf() }' <<'EOF'
stdin:1:9-13: ERROR: Unknown function: perf
BEGIN { perf() }
        ~~~~
EOF
	err 'BEGIN { $ns = nsecs(xxx) + pid(); }' <<'EOF'
stdin:1:28-31: ERROR: Unknown function: pid
BEGIN { $ns = nsecs(xxx) + pid(); }
                           ~~~
EOF
}

@test "locations: a glued token starts where the previous one started" {
	run bt-parse -e 'BEGIN { $ns = nsecs(xxx)(; }'
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "stdin:1:15-26: ERROR: syntax error, unexpected (, expecting }" ]
	run bt-parse -e 'i:s:1			$a'
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "stdin:1:9-11: ERROR: syntax error, unexpected variable, expecting {" ]
	[ "${lines[1]}" = "i:s:1            \$a" ]
	[ "${lines[2]}" = "                 ~~" ]
}

@test "casts: integer types, pointers, arrays, records and typedef names" {
	ast 'BEGIN { (int8)1; (uint16)1; (bool)1; (int32 *)0; (int32 * * *)0; (struct task_struct *)curtask; (union u)0; (mytype)0; (mytype *)0; (int8[8])12345; (uint8[])0; (struct foo)arg0.field }' <<'EOF'
Program
 BEGIN
  (int8)
   int: 1
  (unsigned int16)
   int: 1
  (unsigned int0)
   int: 1
  (int32 *)
   int: 0
  (int32 * * *)
   int: 0
  (struct task_struct *)
   builtin: curtask
  (union u)
   int: 0
  (mytype)
   int: 0
  (mytype *)
   int: 0
  (int8[8])
   int: 12345
  (unsigned int8[0])
   int: 0
  (struct foo)
   .
    builtin: arg0
    field
EOF
}

@test "casts: the test suite's binding examples" {
	ast 'BEGIN { (struct t*)arg0->field; (struct t)arg0+123; (struct t)*arg0 }' <<'EOF'
Program
 BEGIN
  (struct t *)
   .
    dereference
     builtin: arg0
    field
  +
   (struct t)
    builtin: arg0
   int: 123
  (struct t)
   dereference
    builtin: arg0
EOF
}

@test "sizeof and offsetof of types and expressions" {
	ast 'BEGIN { sizeof(struct Foo); sizeof(uint32); sizeof($x); offsetof(struct Foo, x); offsetof(*curtask, comm) }' <<'EOF'
Program
 BEGIN
  sizeof: 
  sizeof: 
  sizeof: 
   variable: $x
  offsetof: 
  offsetof: 
   dereference
    builtin: curtask
EOF
}

# ----------------------------------------------------------- literals

@test "integer literals: decimal, hex, octal, scientific, separators, suffixes" {
	ast 'BEGIN { 1000000; 1e6; 1_000_000; 0x10; 0X1f; 0777; 0123; 10u; 10ul; 10ULL; 5e9; 1e1_0; 0xffffffffffffffff }' <<'EOF'
Program
 BEGIN
  int: 1000000
  int: 1000000
  int: 1000000
  int: 16
  int: 31
  int: 511
  int: 83
  int: 10
  int: 10
  int: 10
  int: 5000000000
  int: 10000000000
  int: -1
EOF
}

@test "integer literal errors" {
	err 'BEGIN { 12e4 }' <<'EOF'
stdin:1:9-13: ERROR: Coefficient part of scientific literal must be in range (0,9), got: 12
BEGIN { 12e4 }
        ~~~~
EOF
	# the bad literal is dropped, so the parse goes on without it
	err 'BEGIN { @x = 12e4 }' <<'EOF'
stdin:1:14-18: ERROR: Coefficient part of scientific literal must be in range (0,9), got: 12
BEGIN { @x = 12e4 }
             ~~~~
stdin:1:19-20: ERROR: syntax error, unexpected }
BEGIN { @x = 12e4 }
                  ~
EOF
	run bt-parse -e 'BEGIN { 1e17; }'
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "stdin:1:9-13: ERROR: Exponent will overflow integer range: 17" ]
	run bt-parse -e 'BEGIN { 08; }'
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "stdin:1:9-11: ERROR: Found trailing non-numeric characters" ]
	run bt-parse -e 'BEGIN { 99999999999999999999; }'
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "stdin:1:9-29: ERROR: stoull" ]
}

@test "char literals are integers (a documented feature bpftrace never built)" {
	ast "BEGIN { 'a'; '@'; '\\n'; '\\''; '\\x41'; '\\101'; '\"' }" <<'EOF'
Program
 BEGIN
  int: 97
  int: 64
  int: 10
  int: 39
  int: 65
  int: 65
  int: 34
EOF
	run bt-parse -e "BEGIN { 'ab' }"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "stdin:1:9-10: ERROR: invalid character '''" ]
}

@test "string literals: escapes as bpftrace prints them" {
	ast 'BEGIN { "newline\nand tab\tcr\rbackslash\\quote\"here oct\1009hex\x309"; "\0\x7f\377" }' <<'EOF'
Program
 BEGIN
  string: newline\nand tab\tcr\rbackslash\\quote\"here oct@9hex09
  string: \x00\x7f\xff
EOF
}

@test "string errors: bad escapes, out of range octal, unterminated" {
	err 'BEGIN { "\q" }' <<'EOF'
stdin:1:9-12: ERROR: invalid escape character '\q'
BEGIN { "\q" }
        ~~~
EOF
	err 'BEGIN { "\400" }' <<'EOF'
stdin:1:9-14: ERROR: octal escape sequence out of range '\400'
BEGIN { "\400" }
        ~~~~~
EOF
	err 'kprobe:f { "asdf }' <<'EOF'
stdin:1:12-19: ERROR: unterminated string
kprobe:f { "asdf }
           ~~~~~~~
stdin:1:12-19: ERROR: syntax error, unexpected end of file, expecting }
kprobe:f { "asdf }
           ~~~~~~~
EOF
}

@test "lexer: invalid characters are reported and lexing goes on" {
	err 'BEGIN { ` $x = 1 ` }' <<'EOF'
stdin:1:9-10: ERROR: invalid character '`'
BEGIN { ` $x = 1 ` }
        ~
stdin:1:18-19: ERROR: invalid character '`'
BEGIN { ` $x = 1 ` }
                 ~
EOF
}

# ----------------------------------------- comments, shebang, newlines

@test "comments: // and /* */, also at the end of the input" {
	ast '// first
BEGIN /* inline */ { /* multi
line */ 1; // trailing
} // last' <<'EOF'
Program
 BEGIN
  int: 1
EOF
	err 'BEGIN { /* x' <<'EOF'
stdin:1:9-13: ERROR: end of file during comment
BEGIN { /* x
        ~~~~
stdin:1:9-13: ERROR: syntax error, unexpected end of file, expecting }
BEGIN { /* x
        ~~~~
EOF
}

@test "a #! first line is ignored; every CR counts as a line" {
	printf '#!/usr/bin/env bpftrace\nBEGIN {\n  1;\n}\n' > "$TMP/s.bt"
	run bt-parse --dump-plain "$TMP/s.bt"
	[ "$status" -eq 0 ]
	[ "${lines[4]}" = "  int: 1" ]
	printf 'BEGIN {\r\n $x = ; }\r\n' > "$TMP/crlf.bt"
	run bt-parse "$TMP/crlf.bt"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "$TMP/crlf.bt:3:7-8: ERROR: syntax error, unexpected ;" ]
}

# ------------------------------ C definitions, #include, #define, config

@test "#include and struct/union/enum definitions go to the C definitions" {
	run bt-parse --dump-plain -e '#include <linux/sched.h>
struct Foo { int x; struct { int y; } z; };
union U { int a; char b; }
enum Color { RED, GREEN };
#ifndef X
#endif
BEGIN { }'
	[ "$status" -eq 0 ]
	expected='
AST after: parser
-------------------
#include <linux/sched.h>
struct Foo { int x; struct { int y; } z; };;
union U { int a; char b; };
enum Color { RED, GREEN };;
#ifndef X
#endif

Program
 BEGIN'
	[ "$output" = "$expected" ]
}

@test "C definitions only come first" {
	err 'BEGIN {} #include <foo.h>' <<'EOF'
stdin:1:10-26: ERROR: syntax error, unexpected preprocessor directive, expecting {
BEGIN {} #include <foo.h>
         ~~~~~~~~~~~~~~~~
EOF
	err 'BEGIN { } struct X { int a; }' <<'EOF'
stdin:1:11-17: ERROR: syntax error, unexpected struct, expecting {
BEGIN { } struct X { int a; }
          ~~~~~~
EOF
}

@test "#define: object-like macros of the script are expanded" {
	ast '#define FOO 5
#define BAR (FOO << 2)
#define NAME "x"
#define SELF SELF
#define FN(x) x
BEGIN { @x = BAR + FOO; printf(NAME); SELF; FN }' <<'EOF'
#define FOO 5
#define BAR (FOO << 2)
#define NAME "x"
#define SELF SELF
#define FN(x) x

Program
 BEGIN
  =
   map: @x
   +
    <<
     int: 5
     int: 2
    int: 5
  call: printf
   string: x
  identifier: SELF
  identifier: FN
EOF
}

@test "#define: only defines of the taken #if/#ifdef/#else groups count; #undef" {
	# BPFTRACE_HAVE_BTF is defined (BTF is how kernel types are known)
	run bt-parse --dump-plain -e '#ifdef BPFTRACE_HAVE_BTF
#define A 1
#else
#define A 2
#endif
#if defined(A) && A == 1
#define B 10
#elif 1
#define B 20
#endif
#ifndef A
#define C 1
#else
#define C 2
#endif
#define D 5
#undef D
#ifdef D
#define E 1
#else
#define E 7
#endif
#if 0
#if 1
#define F 1
#endif
#else
#define F 3
#endif
BEGIN { @ = (A, B, C, E, F) }'
	[ "$status" -eq 0 ]
	got=$(printf '%s\n' "$output" | sed -n '/^ *int: /s/^ *int: //p' | tr '\n' ' ')
	[ "$got" = "1 10 2 7 3 " ]
}

@test "#define: self-referencing macros stop at the recursion limit" {
	run bt-parse -e '#define A (A+1)
BEGIN { A }'
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "stdin:2:9-10: ERROR: Macro recursion limit reached: A, (A+1)" ]
}

@test "config block" {
	ast 'config = { max_strlen = 100; BPFTRACE_STACK_MODE=perf; str_trunc_trailer = "" } BEGIN { }' <<'EOF'
Program
 config
  =
   config var: max_strlen
   int: 100
  =
   config var: BPFTRACE_STACK_MODE
   stack_mode: perf
  =
   config var: str_trunc_trailer
   string: 
 BEGIN
EOF
	err 'config = { a=1; } BEGIN {}' <<'EOF'
stdin:1:17-18: ERROR: syntax error, unexpected }, expecting identifier
config = { a=1; } BEGIN {}
                ~
EOF
	err 'BEGIN { } config = { a = 1 }' <<'EOF'
stdin:1:11-17: ERROR: syntax error, unexpected config, expecting {
BEGIN { } config = { a = 1 }
          ~~~~~~
EOF
}

# ------------------------------------------- bpftrace's error examples

@test "syntax errors: bpftrace's examples" {
	err 'i:s:1 { < }' <<'EOF'
stdin:1:9-10: ERROR: syntax error, unexpected <, expecting }
i:s:1 { < }
        ~
EOF
	err 'BEGIN { @x[1 }' <<'EOF'
stdin:1:14-15: ERROR: syntax error, unexpected }, expecting ] or ","
BEGIN { @x[1 }
             ~
EOF
	err 'BEGIN { @x = (1,2)' <<'EOF'
stdin:1:14-19: ERROR: syntax error, unexpected end of file, expecting }
BEGIN { @x = (1,2)
             ~~~~~
EOF
}

@test "syntax errors: an empty program, a lone comment" {
	err ' ' <<'EOF'
stdin:1:1-2: ERROR: unexpected end of file, expected {
 
~
EOF
	run bt-parse -e '// nothing'
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "stdin:1:1-11: ERROR: unexpected end of file, expected {" ]
}

# -------------------------------------------- the guide's programs

@test "guide: every program of the reference guide and the tutorial parses" {
	local dir="$ROOT/tests/fixtures/guide_programs" n=0 failed=0
	while IFS=$'\t' read -r f kind where params; do
		case "$f" in \#*) continue ;; esac
		case "$kind" in
		program) run bt-parse -o /dev/null "$dir/$f" -- $params ;;
		listing) run bt-parse --listing -o /dev/null -e "$(cat "$dir/$f")" ;;
		excerpt) grep -q '\.\.\.' "$dir/$f"; continue ;;
		*) echo "unknown kind $kind"; return 1 ;;
		esac
		n=$((n + 1))
		if [ "$status" -ne 0 ]; then
			echo "$f ($where): $output"
			failed=$((failed + 1))
		fi
	done < "$dir/MANIFEST"
	[ "$failed" -eq 0 ]
	[ "$n" -gt 150 ]
}

# --------------------------------------------------- the ast stream

@test "stream: an ast stream with the source, file name and parameters" {
	printf 'BEGIN { @x = $1 }\n' > "$TMP/p.bt"
	run bt-parse -o "$TMP/p.ast" "$TMP/p.bt" a 'b c'
	[ "$status" -eq 0 ]
	run bt-fmt --dump "$TMP/p.ast"
	[ "$status" -eq 0 ]
	[[ "$output" == *'format: "ast"'* ]]
	[[ "$output" == *"filename: \"$TMP/p.bt\""* ]]
	[[ "$output" == *'params: ["a", "b c"]'* ]]
	[[ "$output" == *'"k": "param", "loc": [1, 14, 1, 16], "num": 1'* ]]
	[[ "$output" == *'"k": "assign_map", "loc": [1, 12, 1, 13]'* ]]
}

@test "stream: -e and stdin are named stdin; listing is marked" {
	run sh -c 'printf "BEGIN { }" | bt-parse - | bt-fmt --dump -'
	[ "$status" -eq 0 ]
	[[ "$output" == *'filename: "stdin"'* ]]
	run sh -c 'bt-parse --listing -e "kprobe:*" | bt-fmt --dump -'
	[ "$status" -eq 0 ]
	[[ "$output" == *'listing: true'* ]]
}

@test "stream: --dump prints the tree on stdout, the stream goes to -o FILE only" {
	run bt-parse --dump -e 'BEGIN { @x = 1 }'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "AST after: parser" ]
	[[ "$output" != *ast* ]]
	run bt-parse --dump -o "$TMP/p.ast" -e 'BEGIN { @x = 1 }'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "AST after: parser" ]
	[[ "$output" == *"map: @x"* ]]
	# the file holds the same stream as a plain run
	bt-parse -o "$TMP/q.ast" -e 'BEGIN { @x = 1 }'
	cmp "$TMP/p.ast" "$TMP/q.ast"
}

@test "stream: a compound assignment's target is not shared with its operand" {
	run sh -c 'bt-parse -e "BEGIN { @x += 1 }" | bt-fmt --dump -'
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | grep -c '"k": "map"')" -eq 2 ]
}

# ------------------------------------------------------- the tool

@test "cli: -h, unknown options, missing program or file" {
	run bt-parse -h
	[ "$status" -eq 0 ]
	[[ "$output" == usage:* ]]
	run bt-parse --nope -e 'BEGIN {}'
	[ "$status" -eq 1 ]
	[ "$output" = "bt-parse: ERROR: unknown option '--nope' (see bt-parse -h)" ]
	run bt-parse
	[ "$status" -eq 1 ]
	[[ "$output" == "bt-parse: ERROR: no program"* ]]
	run bt-parse "$TMP/none.bt"
	[ "$status" -eq 1 ]
	[ "$output" = "bt-parse: ERROR: failed to open file '$TMP/none.bt': No such file or directory" ]
	run bt-parse -e
	[ "$status" -eq 1 ]
}

@test "cli: errors in a file are reported under its name" {
	printf 'BEGIN {\n  $x = ;\n}\n' > "$TMP/e.bt"
	run bt-parse "$TMP/e.bt"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "$TMP/e.bt:2:8-9: ERROR: syntax error, unexpected ;" ]
	[ "${lines[1]}" = '  $x = ;' ]
	[ "${lines[2]}" = '       ~' ]
}

# --------------------------------------------------------- bad input

@test "bad input: binary junk ends with a diagnostic and exit 1" {
	for seed in 1 2 3 4 5 6 7 8; do
		head -c 20000 /dev/urandom > "$TMP/junk"
		run bt-parse "$TMP/junk"
		[ "$status" -eq 1 ]
		[[ "${lines[0]}" == *ERROR:* ]]
	done
	printf 'BEGIN { \0 }' > "$TMP/nul"
	run bt-parse "$TMP/nul"
	[ "$status" -eq 1 ]
}

@test "input: the program ends at a NUL byte (bpftrace's lexer reads a C string)" {
	printf 'BEGIN { exit(); }\n\0garbage \x01 {' > "$TMP/nul"
	run bt-parse --dump-plain "$TMP/nul"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Program
 BEGIN
  call: exit" ]]
	run bt-parse --dump-plain - < "$TMP/nul"
	[ "$status" -eq 0 ]
}

@test "bad input: unterminated string and comment at the end of a file" {
	printf 'BEGIN { printf("abc' > "$TMP/s"
	run bt-parse "$TMP/s"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == *"ERROR: unterminated string" ]]
	printf 'BEGIN { /* abc' > "$TMP/c"
	run bt-parse "$TMP/c"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == *"ERROR: end of file during comment" ]]
	printf 'BEGIN { "abc\n" }' > "$TMP/n"
	run bt-parse "$TMP/n"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == *"ERROR: unterminated string" ]]
}

@test "bad input: 1 MB of '(' ends with 'memory exhausted'" {
	{ printf 'BEGIN { '; head -c 1048576 /dev/zero | tr '\0' '('; } > "$TMP/deep"
	run bt-parse "$TMP/deep"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "$TMP/deep:1:9-"*": ERROR: memory exhausted" ]]
}

@test "bad input: a tree too deep for the later stages is refused" {
	{ printf 'BEGIN { '; head -c 100000 /dev/zero | tr '\0' '!'; printf '1 }'; } > "$TMP/deep"
	run bt-parse "$TMP/deep"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == *"ERROR: the program is nested too deeply (more than 2000 levels)" ]]
	python3 -c 'print("BEGIN { $x = " + "1 + " * 100000 + "1 }")' > "$TMP/long"
	run bt-parse "$TMP/long"
	[ "$status" -eq 1 ]
	# ... but deep nesting within the limit is fine
	python3 -c 'print("BEGIN { $x = " + "(" * 500 + "-1" + ")" * 500 + "; " + "1 + " * 1000 + "1 }")' > "$TMP/ok"
	run bt-parse -o /dev/null "$TMP/ok"
	[ "$status" -eq 0 ]
}

@test "big input: a 10,000-line script, and a block of 10,000 statements" {
	python3 - "$TMP" <<'EOF'
import sys
d = sys.argv[1]
lines = []
i = 0
while len(lines) < 10000:
    lines += ['kprobe:vfs_read%d /pid == %d/ {' % (i, i),
              '  @reads[comm, pid] = count(); $x = arg0 + %d * (arg1 - 3) / 7;' % i,
              '  if ($x > 100) { printf("%%s %%d\\n", comm, $x); } else { @h = hist($x); }',
              '}']
    i += 1
open(d + '/big.bt', 'w').write('\n'.join(lines) + '\n')
open(d + '/block.bt', 'w').write('BEGIN {\n' + ''.join('  @x%d = %d;\n' % (i, i) for i in range(10000)) + '}\n')
EOF
	run bt-parse -o "$TMP/big.ast" "$TMP/big.bt"
	[ "$status" -eq 0 ]
	run bt-parse --dump-plain "$TMP/block.bt"
	[ "$status" -eq 0 ]
	[ "${lines[$((${#lines[@]} - 1))]}" = "   int: 9999" ]
}
