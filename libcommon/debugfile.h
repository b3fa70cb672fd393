/* debugfile.h - where the separate debug file of a stripped binary is.
 *
 * Distributions strip shared libraries and ship their full symbol tables
 * (static functions included: libc's __libc_start_call_main,
 * malloc_consolidate) in debug packages (libc6-dbg).  bt-check lists
 * symbols from that file and bt-load attaches to and symbolises them, so
 * both look for it the same way, the way gdb and bcc (bpftrace's symbol
 * library) do.
 */
#ifndef BT_DEBUGFILE_H
#define BT_DEBUGFILE_H

#include <stddef.h>
#include <stdint.h>

/* The debug file of the binary at path, or NULL.  First by build id (id,
 * n bytes, from the NT_GNU_BUILD_ID note):
 * /usr/lib/debug/.build-id/<first byte>/<the rest>.debug; then by the
 * .gnu_debuglink name (link, NULL if none) beside the binary, in its
 * .debug/ folder and under /usr/lib/debug/<the binary's folder>/, where a
 * candidate counts only if its CRC-32 is crc.  The path is arena memory. */
const char *debugfile_find(const char *path, const unsigned char *id, size_t n,
			   const char *link, uint32_t crc);

#endif
