/* intptrcast: fn() takes more arguments than fit in registers, so p7 (0xcba)
 * is passed on the stack; cases read it relative to the stack pointer. */
__attribute__((noinline)) int fn(short p1, short p2, short p3, short p4,
                                 short p5, unsigned long p6, short p7,
                                 short p8, short p9)
{
  return p1 + p2 + p3 + p4 + p5 + (int)(p6 & 0xffff) + p7 + p8 + p9;
}

int main(void)
{
  fn(0x123, 0x456, 0x789, 0xabc, 0xdef, 0x1234567887654321UL, 0xcba, 0xcba,
     0xcba);
  return 0;
}
