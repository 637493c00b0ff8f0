// The addon: one instance per JS environment (main thread and each worker), context-aware, no
// per-environment state beyond the exports (the RNG state and tensors live in JS).
#include <napi.h>

#include "exports.h"

namespace neurite {

class NeuriteAddon : public Napi::Addon<NeuriteAddon> {
 public:
  NeuriteAddon(Napi::Env env, Napi::Object exports) {
    register_runtime(env, exports);
    register_copy(env, exports);
    register_elementwise(env, exports);
    register_reduce(env, exports);
    register_index(env, exports);
    register_softmax(env, exports);
    register_gemm(env, exports);
    register_optim(env, exports);
    register_conv(env, exports);
    register_pool(env, exports);
    register_norm(env, exports);
    register_rnn(env, exports);
  }
};

}  // namespace neurite

using neurite::NeuriteAddon;
NODE_API_ADDON(NeuriteAddon)
