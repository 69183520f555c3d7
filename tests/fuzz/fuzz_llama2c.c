/* fuzz_llama2c.c — libFuzzer target: the llama2c parser on arbitrary bytes. */
#include "tests/fuzz/fuzz_model.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) { return fuzz_model(data, size, WZ_SRC_LLAMA2C); }
