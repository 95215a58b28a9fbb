/*
 * The ELF note that makes this guest paravirtual (see pv.h): name
 * "vmmlab", type PV_NOTE_PAGING, and the paging mode it asks for. The
 * same sources build shadow.elf (the VMM's shadow tables) and, with
 * -DSHADOW_NATIVE, shadow-native.elf (our own tables on the hardware).
 */
#include "pv.h"

#if defined(SHADOW_NOTE_MODE)
#define PAGING_MODE	SHADOW_NOTE_MODE	/* shadow-badnote.elf: a bad one */
#elif defined(SHADOW_NATIVE)
#define PAGING_MODE	PV_PAGING_DIRECT
#else
#define PAGING_MODE	PV_PAGING_SHADOW
#endif

struct elf_note {
	uint32_t namesz, descsz, type;
	char name[8];		/* "vmmlab" and its NUL, padded to 4 bytes */
	uint32_t mode;
};

__attribute__((used, section(".note.vmmlab"), aligned(4)))
static const struct elf_note paging_note = {
	.namesz = 7,
	.descsz = 4,
	.type = PV_NOTE_PAGING,
	.name = "vmmlab",
	.mode = PAGING_MODE,
};
