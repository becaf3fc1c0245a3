# Included by the top-level CMakeLists.txt, before any target, when JOBQ_FUZZ
# is on. Every library is built with the fuzzer's coverage instrumentation
# and the sanitizers, not only the fuzz targets: the decoders live in the
# libraries, and libFuzzer is blind, and ASan deaf, wherever they are missing.

if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "JOBQ_FUZZ needs clang for libFuzzer: configure with "
                      "CC=clang CXX=clang++ (Debian packages clang, libclang-rt-14-dev)")
endif()
if(JOBQ_JEMALLOC)
  message(FATAL_ERROR "JOBQ_FUZZ needs -DJOBQ_JEMALLOC=OFF: AddressSanitizer has its own allocator")
endif()

# -fno-sanitize-recover: UBSan otherwise prints and carries on, and libFuzzer
# would never count undefined behaviour as a crash.
add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
                    -fno-omit-frame-pointer)
add_link_options(-fsanitize=address,undefined)

# -O1 -g1, as in the sanitizer builds (cmake/Sanitize.cmake): a quarter
# less compile time than RelWithDebInfo's -O2 (admin.pb.cc, instrumented:
# 85 s against 112 s), which CI's fuzz runs of 10 s per target would not
# win back in speed, and still the file:line of every frame in a report.
foreach(type RELWITHDEBINFO DEBUG RELEASE MINSIZEREL)
  set(CMAKE_CXX_FLAGS_${type} "-O1 -g1")
  set(CMAKE_C_FLAGS_${type} "-O1 -g1")
endforeach()
