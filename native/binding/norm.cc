// Normalisation exports.
#include "../kernels/norm.h"

#include "args.h"
#include "exports.h"

namespace neurite {

void register_norm(Napi::Env env, Napi::Object exports) {
  (void)env;
  (void)exports;
}

}  // namespace neurite
