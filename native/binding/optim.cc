// Optimizer exports: one fused update per parameter tensor.
#include "../kernels/optim.h"

#include "args.h"
#include "exports.h"

namespace neurite {

void register_optim(Napi::Env env, Napi::Object exports) {
  (void)env;
  (void)exports;
}

}  // namespace neurite
