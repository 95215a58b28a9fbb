/*
 * pt.h - the identity page tables of a long-mode guest (src/cpu/pt.c);
 * where they sit in guest RAM is in boot.h.
 */
#ifndef VMM_PT_H
#define VMM_PT_H

#include <stdint.h>

int pt_build(uint8_t *ram, uint64_t ram_size);
int pt_extend(uint8_t *ram, uint64_t ram_size, uint64_t top);

#endif
