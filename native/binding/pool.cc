// pool exports.
#include "../kernels/pool.h"

#include "args.h"
#include "exports.h"

namespace neurite {

void register_pool(Napi::Env env, Napi::Object exports) {
  (void)env;
  (void)exports;
}

}  // namespace neurite
