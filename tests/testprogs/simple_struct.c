/* simple_struct: calls func() once with a pointer to a two-int struct
 * {m = 2, n = 3}. */
struct Foo {
  int m;
  int n;
};

__attribute__((noinline)) int func(struct Foo *foo)
{
  return foo->m + foo->n;
}

int main(void)
{
  struct Foo foo = { .m = 2, .n = 3 };
  func(&foo);
  return 0;
}
