// Recurrent exports.
#include "../kernels/rnn.h"

#include "args.h"
#include "exports.h"

namespace neurite {

void register_rnn(Napi::Env env, Napi::Object exports) {
  (void)env;
  (void)exports;
}

}  // namespace neurite
