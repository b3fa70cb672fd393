/* array_access: passes structs holding fixed-size, multi-dimensional,
 * pointer and zero-length arrays to empty functions, so that cases can read
 * array members through uprobe arguments. */
#include <stdint.h>

struct A {
  int x[4];
  uint8_t y[4];
};

struct B {
  int y[2][2];
};

struct C {
  int *z[4];
};

struct D {
  int x;
  int y[0]; /* GNU zero-length array: y[0] aliases z */
  int z;
};

__attribute__((noinline)) void test_struct(struct A *a, struct B *b)
{
  (void)a;
  (void)b;
}

__attribute__((noinline)) void test_array(int *a)
{
  (void)a;
}

__attribute__((noinline)) void test_arrays(struct A *a, struct A *d)
{
  (void)a;
  (void)d;
}

__attribute__((noinline)) void test_ptr_array(struct C *c)
{
  (void)c;
}

__attribute__((noinline)) void test_variable_array(struct D *d)
{
  (void)d;
}

int main(void)
{
  struct A a = { .x = { 1, 2, 3, 4 }, .y = { 0xaa, 0xbb, 0xcc, 0xdd } };
  struct B b = { .y = { { 5, 6 }, { 7, 8 } } };
  struct C c;
  struct A d = { .x = { 4, 3, 2, 1 }, .y = { 0, 0, 0, 0 } };
  struct D e = { .x = 0, .z = 1 };

  for (int i = 0; i < 4; i++)
    c.z[i] = &a.x[i];

  test_struct(&a, &b);
  test_array(a.x);
  test_ptr_array(&c);
  test_arrays(&a, &d);
  test_variable_array(&e);
  return 0;
}
