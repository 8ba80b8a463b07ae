// The parts of the _native module bound outside module.cpp, and the names
// the bindings share for _native.pyi (nanobind's stub generator writes the
// stub from these signatures and docstrings).
#pragma once

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>

#include <cstdint>
#include <string>

namespace llama_native {

// bind_params.cpp: ModelParams, KvOverride, ContextParams, SamplingParams, GenerationParams.
void register_params(nanobind::module_ &m);

// Names for the stub only: a parameter typed Callback<R(Args...)> accepts any
// object at run time, as nb::object does (the native code checks what it
// needs), and reads as Callable[[Args...], R] in the stub.
using TokenIdArray = nanobind::ndarray<nanobind::numpy, int32_t>;  // NDArray[numpy.int32]
using ScoreArray = nanobind::ndarray<nanobind::numpy, float>;      // NDArray[numpy.float32]
template <typename Signature>
using Callback = nanobind::typed<nanobind::object, nanobind::typed<nanobind::callable, Signature>>;

// "typing.Literal['a', 'b', ...]": the stub's type of a string that is always one of `names`
// (llama_native/_types.py names these types in Python).
template <typename Names> std::string literal_type(const Names &names) {
    std::string out;
    for (const char *name : names) out += std::string(out.empty() ? "" : ", ") + "'" + name + "'";
    return "typing.Literal[" + out + "]";
}

}  // namespace llama_native
