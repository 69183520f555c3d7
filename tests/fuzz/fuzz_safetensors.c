/* fuzz_safetensors.c — libFuzzer target: the safetensors parser on arbitrary bytes. */
#include "tests/fuzz/fuzz_model.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) { return fuzz_model(data, size, WZ_SRC_SAFETENSORS); }
