/*
 * fuzz_options.c - the command line (src/options.c): any arguments,
 * any --mem and, from lab 02, --demand-above sizes.
 *
 * Input: the arguments after "vmm", separated by NUL bytes (at most 16).
 *
 * Covers: src/core/options.c
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "core/options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[18];
	struct options opt;
	size_t i, start = 0;
	int argc = 0;

	if (!buf)
		abort();
	memcpy(buf, data, size);
	buf[size] = 0;
	argv[argc++] = (char *)"vmm";
	for (i = 0; i <= size && argc < 17; i++)
		if (buf[i] == 0) {
			argv[argc++] = buf + start;
			start = i + 1;
		}
	argv[argc] = NULL;
	options_parse(&opt, argc, argv, fuzz_devnull());
	free(buf);
	return 0;
}
