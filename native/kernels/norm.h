// Normalisation kernels (batch, layer, group norm), forward and backward. Statistics are
// accumulated in double; work is split over the thread pool by channel, row or group, so
// results never depend on the thread count. weight and bias may be null (then 1 and 0);
// gradient outputs may be null (then not computed).
#pragma once
#include <cstdint>

namespace neurite {

// Batch norm over x [N, C, S] (S = product of the spatial dims), per channel c.
//   y            [N, C, S] out: (x - mean[c]) * invstd[c] * weight[c] + bias[c]
//   mean, invstd [C]       out: the statistics used, kept for backward
//   running_mean, running_var [C] in/out, may be null: when use_batch_stats and not null,
//                updated as r = (1 - momentum) * r + momentum * batch (unbiased variance)
//   x            [N, C, S] in
//   weight, bias [C]       in, may be null
// use_batch_stats: mean and biased variance of x over N and S (needs N*S >= 1; the unbiased
// variance for the update needs N*S >= 2, else it is NaN as PyTorch's); otherwise the running
// statistics (then both must be given). invstd = 1 / sqrt(var + eps).
void batch_norm_forward(float* y, float* mean, float* invstd, float* running_mean,
                        float* running_var, const float* x, const float* weight,
                        const float* bias, int64_t N, int64_t C, int64_t S,
                        bool use_batch_stats, double momentum, double eps);

//   dx           [N, C, S] out, may be null
//   dweight, dbias [C]     out, may be null
//   dy, x        [N, C, S] in; mean, invstd [C] from the forward; weight [C] or null
// use_batch_stats as in the forward: then the statistics depend on x and
//   dx = weight * invstd * (dy - mean(dy) - xhat * mean(dy * xhat)) over N and S;
// otherwise dx = dy * weight * invstd.
void batch_norm_backward(float* dx, float* dweight, float* dbias, const float* dy,
                         const float* x, const float* mean, const float* invstd,
                         const float* weight, int64_t N, int64_t C, int64_t S,
                         bool use_batch_stats);

// Layer norm over rows of x [M, D] (D = product of the normalised dims).
//   y          [M, D] out: (x - mean[m]) * rstd[m] * weight[d] + bias[d]
//   mean, rstd [M]    out, kept for backward; rstd = 1 / sqrt(biased var + eps)
//   x [M, D] in; weight, bias [D] in, may be null
void layer_norm_forward(float* y, float* mean, float* rstd, const float* x,
                        const float* weight, const float* bias, int64_t M, int64_t D,
                        double eps);

//   dx [M, D] out, may be null; dweight, dbias [D] out, may be null
//   dy, x [M, D] in; mean, rstd [M] from the forward; weight [D] or null
void layer_norm_backward(float* dx, float* dweight, float* dbias, const float* dy,
                         const float* x, const float* mean, const float* rstd,
                         const float* weight, int64_t M, int64_t D);

// Group norm over x [N, C, S] with G groups of C / G channels (C % G == 0, G >= 1).
//   y          [N, C, S] out: (x - mean[n, g]) * rstd[n, g] * weight[c] + bias[c]
//   mean, rstd [N, G]    out, kept for backward
//   x [N, C, S] in; weight, bias [C] in, may be null
void group_norm_forward(float* y, float* mean, float* rstd, const float* x,
                        const float* weight, const float* bias, int64_t N, int64_t C,
                        int64_t S, int64_t G, double eps);

//   dx [N, C, S] out, may be null; dweight, dbias [C] out, may be null
//   dy, x [N, C, S] in; mean, rstd [N, G] from the forward; weight [C] or null
void group_norm_backward(float* dx, float* dweight, float* dbias, const float* dy,
                         const float* x, const float* mean, const float* rstd,
                         const float* weight, int64_t N, int64_t C, int64_t S, int64_t G);

}  // namespace neurite
