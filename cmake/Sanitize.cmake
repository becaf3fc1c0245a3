# Sanitizer builds (scripts/sanitize): JOBQ_SANITIZE=address,undefined or
# JOBQ_SANITIZE=thread. Included by the top-level CMakeLists.txt before any
# target, so that every library, program, plugin and test is instrumented:
# the integration tests start the real jobq-broker, jobq-worker and jobq of
# the same build directory, and a race or an overflow in them is found only
# if they are instrumented too.
#
# They are built with clang 14 (also the fuzz build's compiler; Debian
# packages clang and libclang-rt-14-dev): instrumented, it
# compiles the project in about 60 % of GCC 12's time (build-asan: 460 s
# against 750 s on two cores; the admin server's batch 25 s against 36 s),
# and the sanitizer builds were most of the test command's build time.
# Clang is every build's default compiler (CMakeLists.txt); GCC works
# here too (configure with CXX=g++), for a second opinion.
#
# The runtime options and suppressions are compiled into every executable
# (tests/sanitize/sanitizer_defaults.cpp), so `ctest --test-dir build-asan`
# by hand behaves as scripts/sanitize does; *SAN_OPTIONS in the environment
# still add to them.

set(JOBQ_SANITIZE "" CACHE STRING
    "Sanitizers for every target: address,undefined or thread (empty: none)")
set_property(CACHE JOBQ_SANITIZE PROPERTY STRINGS "" "address,undefined" "thread")

if(JOBQ_SANITIZE STREQUAL "")
  return()
endif()

if(JOBQ_SANITIZE STREQUAL "address,undefined" OR JOBQ_SANITIZE STREQUAL "undefined,address")
  set(JOBQ_SANITIZER_KIND asan)
  # -fno-sanitize-recover: UBSan otherwise prints and carries on, and the
  # test would pass.
  # Without three of UBSan's checks, which cost a third of this build's
  # compile time (a check at every pointer dereference, every pointer
  # addition and every call through a polymorphic type; the broker server's
  # batch with GCC: 27 s against 32 s ASan+UBSan, 22 s ASan alone) and find little
  # here: a null dereference is a SEGV that ASan reports with its stack,
  # and jobq neither downcasts nor does arithmetic on raw pointers. The
  # checks that matter in this code (signed overflow, shifts, bounds,
  # bool/enum loads, float casts, alignment) stay, and the fuzz build
  # (tests/fuzz/instrument.cmake) keeps the whole of -fsanitize=undefined.
  set(jobq_sanitize_flags -fsanitize=address,undefined -fno-sanitize=vptr,null,pointer-overflow
                          -fno-sanitize-recover=all)
elseif(JOBQ_SANITIZE STREQUAL "thread")
  set(JOBQ_SANITIZER_KIND tsan)
  set(jobq_sanitize_flags -fsanitize=thread)
else()
  message(FATAL_ERROR "JOBQ_SANITIZE=${JOBQ_SANITIZE}: use address,undefined or thread")
endif()
if(JOBQ_FUZZ)
  message(FATAL_ERROR "JOBQ_SANITIZE and JOBQ_FUZZ are separate builds (tests/fuzz/instrument.cmake "
                      "already sanitizes the fuzz build)")
endif()
# JOBQ_JEMALLOC is off in these builds (CMakeLists.txt): the sanitizers
# replace malloc themselves.

# -O1 -g1: quicker to compile than RelWithDebInfo's -O2 -g on CI's two cores,
# still inlines enough for the tests to run at a usable speed, and keeps the
# file:line of every frame in the reports. Also under the build types'
# flags, which come later on the command line, so set them here.
foreach(type RELWITHDEBINFO DEBUG RELEASE MINSIZEREL)
  set(CMAKE_CXX_FLAGS_${type} "-O1 -g1")
  set(CMAKE_C_FLAGS_${type} "-O1 -g1")
endforeach()

add_compile_options(${jobq_sanitize_flags} -fno-omit-frame-pointer)
# GCC's manual (-fsanitize=address): "sanitizers tend to increase the rate of
# false positive warnings, most notably those around -Wmaybe-uninitialized.
# We recommend against combining -Werror and [the use of] sanitizers." GCC 12
# with -fsanitize=address,undefined warns inside libstdc++'s <regex>
# (std::function in regex_automaton.h, metrics_text_test.cpp); the plain build
# keeps the warning as an error, so only this one is relaxed here, and only
# in the sanitizer builds.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  add_compile_options(-Wno-maybe-uninitialized)
endif()
add_link_options(${jobq_sanitize_flags})
add_compile_definitions(JOBQ_SANITIZER_BUILD="${JOBQ_SANITIZER_KIND}")

# Default runtime options and suppressions, linked into every executable by
# jobq_executable() and jobq_test() (a static library would drop the object:
# nothing in the program refers to its functions, the runtime looks them up).
add_library(jobq_sanitizer_defaults OBJECT
  ${PROJECT_SOURCE_DIR}/tests/sanitize/sanitizer_defaults.cpp)
target_compile_definitions(jobq_sanitizer_defaults PRIVATE
  JOBQ_SANITIZE_DIR="${PROJECT_SOURCE_DIR}/tests/sanitize")
