/* kernel_id.h - the running kernel's build identity (kernel_id.c). */
#ifndef BT_KERNEL_ID_H
#define BT_KERNEL_ID_H

/* Hex of the GNU build id in the kernel's own ELF notes
 * (/sys/kernel/notes), in arena memory; NULL when the kernel has none or
 * the file cannot be read. */
const char *kernel_build_id(void);

/* The same from the bytes of a notes file (tests, snapshots). */
const char *kernel_build_id_from_notes(const unsigned char *p, unsigned long n);

#endif
