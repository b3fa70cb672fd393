/* stack_args: calls a function with ten int arguments so that the last ones
 * are passed on the stack (on x86-64, sarg0 = 32 and sarg1 = 64). */
__attribute__((noinline)) void too_many_args(int a, int b, int c, int d,
                                             int e, int f, int g, int h,
                                             int i, int j)
{
  (void)a; (void)b; (void)c; (void)d; (void)e;
  (void)f; (void)g; (void)h; (void)i; (void)j;
}

int main(void)
{
  too_many_args(0, 1, 2, 4, 8, 16, 32, 64, 128, 256);
  return 0;
}
