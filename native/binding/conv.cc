// conv exports.
#include "../kernels/conv.h"

#include "args.h"
#include "exports.h"

namespace neurite {

void register_conv(Napi::Env env, Napi::Object exports) {
  (void)env;
  (void)exports;
}

}  // namespace neurite
