// llama.cpp's chat layer (templates, tool-call grammars, reply parsing) bound
// as _native.ChatTemplates and _native.ChatParser; see chat_layer.cpp.
#pragma once

#include <nanobind/nanobind.h>

namespace llama_native {

void register_chat_layer(nanobind::module_ &m);

}  // namespace llama_native
