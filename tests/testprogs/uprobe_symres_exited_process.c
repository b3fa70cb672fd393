/* uprobe_symres_exited_process: sleeps 3 s, then calls test2() -> test() and
 * exits at once, so user symbols must be resolved after the process is gone.
 *
 * test2() is a real function (not inlined) but ends in a sibling call: it
 * jumps to test() with main's return address still on top of the stack.  A
 * user stack taken at test's entry is then "test+0, main+N, ..." on kernels
 * that report the return address found at the stack pointer on function
 * entry (Linux >= 6.13, as here) -- the shape the ustack cases expect. */
#include <unistd.h>

__attribute__((noinline)) int test(void)
{
  return 42;
}

__attribute__((noinline, optimize("O2", "optimize-sibling-calls",
                                  "omit-frame-pointer"))) int
test2(void)
{
  return test();
}

int main(void)
{
  sleep(3);
  return test2() == 42 ? 0 : 1;
}
