/* bitfield_test: passes two structs made of bit-fields with known values to
 * func() and func2(), for bit-field member access. */
struct Foo {
  unsigned int a : 4;
  unsigned int b : 8;
  unsigned int c : 3;
  unsigned int d : 1;
  unsigned int e : 16;
};

struct Bar {
  unsigned short a : 4;
  unsigned short b : 8;
  unsigned short c : 3;
  unsigned short d : 1;
  unsigned int e : 9;
  unsigned int f : 15;
  unsigned int g : 1;
  unsigned int h : 2;
  unsigned int i : 5;
};

__attribute__((noinline)) unsigned int func(struct Foo *foo)
{
  return foo->a + foo->b + foo->c + foo->d + foo->e;
}

__attribute__((noinline)) short func2(struct Bar *bar)
{
  return (short)(bar->a + bar->b + bar->c + bar->d + bar->e + bar->f +
                 bar->g + bar->h + bar->i);
}

int main(void)
{
  struct Foo foo = { .a = 1, .b = 2, .c = 5, .d = 0, .e = 65535 };
  struct Bar bar = { .a = 1, .b = 217, .c = 5, .d = 1,
                     .e = 500, .f = 31117, .g = 1, .h = 2, .i = 27 };
  func(&foo);
  func2(&bar);
  return 0;
}
