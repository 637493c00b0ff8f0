{
  "targets": [
    {
      "target_name": "neurite_avx2_fma",
      "type": "static_library",
      "sources": [
        "native/kernels/x86/gemm_6x16_avx2_fma.cc",
        "native/kernels/x86/pool_avx2_fma.cc",
        "native/kernels/x86/vmath_avx2_fma.cc",
        "native/kernels/x86/winograd_avx2_fma.cc",
        "native/kernels/x86/conv_pool_avx2_fma.cc",
        "native/kernels/x86/rnn_units_avx2_fma.cc"
      ],
      "cflags_cc": ["-std=c++17", "-O3", "-mavx2", "-mfma", "-fPIC"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++1y", "-std=c++14"],
      "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["-std=c++17", "-O3", "-mavx2", "-mfma"]}
    },
    {
      "target_name": "neurite_avx512",
      "type": "static_library",
      "sources": [
        "native/kernels/x86/gemm_12x32_avx512.cc",
        "native/kernels/x86/pool_avx512.cc",
        "native/kernels/x86/vmath_avx512.cc",
        "native/kernels/x86/winograd_avx512.cc",
        "native/kernels/x86/conv_pool_avx512.cc",
        "native/kernels/x86/rnn_units_avx512.cc"
      ],
      "cflags_cc": ["-std=c++17", "-O3", "-mavx512f", "-mavx2", "-mfma", "-fPIC"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++1y", "-std=c++14"],
      "xcode_settings": {
        "OTHER_CPLUSPLUSFLAGS": ["-std=c++17", "-O3", "-mavx512f", "-mavx2", "-mfma"]
      }
    },
    {
      "target_name": "neurite",
      "dependencies": ["neurite_avx2_fma", "neurite_avx512"],
      "sources": [
        "native/binding/addon.cc",
        "native/binding/conv.cc",
        "native/binding/args.cc",
        "native/binding/copy.cc",
        "native/binding/elementwise.cc",
        "native/binding/gemm.cc",
        "native/binding/index.cc",
        "native/binding/norm.cc",
        "native/binding/optim.cc",
        "native/binding/pool.cc",
        "native/binding/reduce.cc",
        "native/binding/rnn.cc",
        "native/binding/runtime.cc",
        "native/binding/softmax.cc",
        "native/kernels/conv.cc",
        "native/kernels/conv_rows.cc",
        "native/kernels/conv_pool.cc",
        "native/kernels/copy.cc",
        "native/kernels/elementwise.cc",
        "native/kernels/gemm.cc",
        "native/kernels/index.cc",
        "native/kernels/norm.cc",
        "native/kernels/optim.cc",
        "native/kernels/pool.cc",
        "native/kernels/reduce.cc",
        "native/kernels/rnn.cc",
        "native/kernels/scalar/gemm_4x8_scalar.cc",
        "native/kernels/scalar/vmath_scalar.cc",
        "native/kernels/softmax.cc",
        "native/kernels/winograd.cc",
        "native/runtime/dispatch.cc",
        "native/runtime/memory.cc",
        "native/runtime/pool.cc",
        "native/runtime/rng.cc",
        "native/runtime/vmath_dispatch.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS",
        "NEURITE_VERSION=\"<!(node -p \"require('./package.json').version\")\""
      ],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++1y", "-std=c++14"],
      "ldflags": ["-pthread"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "OTHER_CPLUSPLUSFLAGS": ["-std=c++17", "-O3"]
      }
    }
  ]
}
