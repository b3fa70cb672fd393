/* usdt_args: fires the USDT probes usdt_args:{const,reg,addr,index}_{u64,64,
 * u32,32,u16,16,u8,8} once each, in that order within each group, then exits.
 * Every probe passes 0xf7f6f5f4f3f2f1f0 truncated to its type, but the argument
 * locations differ by group: an immediate constant, a register, a stack slot
 * at an offset from the frame pointer, and base + index * scale addressing.
 * The location kind is chosen by overriding <sys/sdt.h>'s operand constraint
 * before each group. */
#include <stdint.h>

#include "sdt_compat.h"

#define VALUE 0xf7f6f5f4f3f2f1f0ULL

int main(void)
{
  /* stack slots read through an offset from the frame pointer */
  uint64_t a_u64 = (uint64_t)VALUE;
  int64_t a_64 = (int64_t)VALUE;
  uint32_t a_u32 = (uint32_t)VALUE;
  int32_t a_32 = (int32_t)VALUE;
  uint16_t a_u16 = (uint16_t)VALUE;
  int16_t a_16 = (int16_t)VALUE;
  uint8_t a_u8 = (uint8_t)VALUE;
  int8_t a_8 = (int8_t)VALUE;

  /* arrays read as base + index * scale; the value sits at index 1 */
  uint64_t i_u64[2] = { 0, (uint64_t)VALUE };
  int64_t i_64[2] = { 0, (int64_t)VALUE };
  uint32_t i_u32[2] = { 0, (uint32_t)VALUE };
  int32_t i_32[2] = { 0, (int32_t)VALUE };
  uint16_t i_u16[2] = { 0, (uint16_t)VALUE };
  int16_t i_16[2] = { 0, (int16_t)VALUE };
  uint8_t i_u8[2] = { 0, (uint8_t)VALUE };
  int8_t i_8[2] = { 0, (int8_t)VALUE };
  volatile long idx = 1;

#undef STAP_SDT_ARG_CONSTRAINT
#define STAP_SDT_ARG_CONSTRAINT n
  STAP_PROBE1(usdt_args, const_u64, (uint64_t)VALUE);
  STAP_PROBE1(usdt_args, const_64, (int64_t)VALUE);
  STAP_PROBE1(usdt_args, const_u32, (uint32_t)VALUE);
  STAP_PROBE1(usdt_args, const_32, (int32_t)VALUE);
  STAP_PROBE1(usdt_args, const_u16, (uint16_t)VALUE);
  STAP_PROBE1(usdt_args, const_16, (int16_t)VALUE);
  STAP_PROBE1(usdt_args, const_u8, (uint8_t)VALUE);
  STAP_PROBE1(usdt_args, const_8, (int8_t)VALUE);

#undef STAP_SDT_ARG_CONSTRAINT
#define STAP_SDT_ARG_CONSTRAINT r
  STAP_PROBE1(usdt_args, reg_u64, a_u64);
  STAP_PROBE1(usdt_args, reg_64, a_64);
  STAP_PROBE1(usdt_args, reg_u32, a_u32);
  STAP_PROBE1(usdt_args, reg_32, a_32);
  STAP_PROBE1(usdt_args, reg_u16, a_u16);
  STAP_PROBE1(usdt_args, reg_16, a_16);
  STAP_PROBE1(usdt_args, reg_u8, a_u8);
  STAP_PROBE1(usdt_args, reg_8, a_8);

#undef STAP_SDT_ARG_CONSTRAINT
#define STAP_SDT_ARG_CONSTRAINT m
  STAP_PROBE1(usdt_args, addr_u64, a_u64);
  STAP_PROBE1(usdt_args, addr_64, a_64);
  STAP_PROBE1(usdt_args, addr_u32, a_u32);
  STAP_PROBE1(usdt_args, addr_32, a_32);
  STAP_PROBE1(usdt_args, addr_u16, a_u16);
  STAP_PROBE1(usdt_args, addr_16, a_16);
  STAP_PROBE1(usdt_args, addr_u8, a_u8);
  STAP_PROBE1(usdt_args, addr_8, a_8);

  STAP_PROBE1(usdt_args, index_u64, i_u64[idx]);
  STAP_PROBE1(usdt_args, index_64, i_64[idx]);
  STAP_PROBE1(usdt_args, index_u32, i_u32[idx]);
  STAP_PROBE1(usdt_args, index_32, i_32[idx]);
  STAP_PROBE1(usdt_args, index_u16, i_u16[idx]);
  STAP_PROBE1(usdt_args, index_16, i_16[idx]);
  STAP_PROBE1(usdt_args, index_u8, i_u8[idx]);
  STAP_PROBE1(usdt_args, index_8, i_8[idx]);

  return 0;
}
