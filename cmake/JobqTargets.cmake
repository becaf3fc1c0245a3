# jobq_library() and jobq_test(), modelled on abseil's absl_cc_library: one
# target per component, includes rooted at the repository, explicit deps.

set(JOBQ_WARNINGS -Wall -Wextra -Werror -Wno-unused-parameter)

# jobq_library(NAME SRCS ... DEPS ... [PRIVATE_DEPS ...])
function(jobq_library)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${ARG_NAME} STATIC ${ARG_SRCS})
  target_include_directories(${ARG_NAME} PUBLIC ${PROJECT_SOURCE_DIR})
  target_compile_options(${ARG_NAME} PRIVATE ${JOBQ_WARNINGS})
  target_link_libraries(${ARG_NAME} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()

# jobq_executable(NAME SRCS ... DEPS ...)
function(jobq_executable)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_include_directories(${ARG_NAME} PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_options(${ARG_NAME} PRIVATE ${JOBQ_WARNINGS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS})
  if(JOBQ_JEMALLOC)
    target_link_libraries(${ARG_NAME} PRIVATE ${JEMALLOC_LIBRARY})
  endif()
endfunction()

# jobq_test(NAME SRCS ... DEPS ... [LABELS ...]): one GoogleTest binary,
# each test registered with CTest by gtest_discover_tests.
function(jobq_test)
  # TIMEOUT (seconds) for tests that need more than ctest's --timeout.
  cmake_parse_arguments(ARG "" "NAME;TIMEOUT" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_include_directories(${ARG_NAME} PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_options(${ARG_NAME} PRIVATE ${JOBQ_WARNINGS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  set(timeout_property "")
  if(ARG_TIMEOUT)
    set(timeout_property TIMEOUT ${ARG_TIMEOUT})
  endif()
  gtest_discover_tests(${ARG_NAME}
    PROPERTIES LABELS "${ARG_LABELS}" ${timeout_property}
    DISCOVERY_TIMEOUT 60)
endfunction()
