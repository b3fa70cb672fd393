/* ptr_to_ptr: calls function() once with a pointer to a pointer to the struct
 * {a = 123, b = "hello"}. */
struct Foo {
  int a;
  char b[10];
};

__attribute__((noinline)) int function(struct Foo **foo)
{
  return (*foo)->a;
}

int main(void)
{
  struct Foo foo = { .a = 123, .b = "hello" };
  struct Foo *p = &foo;
  function(&p);
  return 0;
}
