/* uprobe_negative_retval: function1(x) returns x for x = -120..100 (221
 * calls, total -2210) and main returns -100, to test signed return values. */
__attribute__((noinline)) int function1(int x)
{
  return x;
}

int main(void)
{
  for (int x = -120; x <= 100; x++)
    function1(x);
  return -100;
}
