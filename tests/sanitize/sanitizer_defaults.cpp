// Default options of the sanitizer runtimes for every executable of a
// JOBQ_SANITIZE build (cmake/Sanitize.cmake), read by the runtime at start.
// ASAN_OPTIONS, UBSAN_OPTIONS, LSAN_OPTIONS and TSAN_OPTIONS in the
// environment come after these and win; scripts/sanitize adds log_path there.

#ifndef JOBQ_SANITIZE_DIR
#error "built by cmake/Sanitize.cmake, which defines JOBQ_SANITIZE_DIR"
#endif

extern "C" {

// Every finding fails: the process stops at the first report with exit code
// 23 (a test binary's failure, or a broker or worker that dies under test).
// allow_user_segv_handler: a task that means to die of SIGSEGV (the crash
// tests) puts the default action back first; ASan must let it.
const char* __asan_default_options() {
  return "halt_on_error=1:exitcode=23:abort_on_error=0:detect_leaks=1:"
         "allow_user_segv_handler=1:strict_string_checks=1:"
         "check_initialization_order=1:detect_stack_use_after_return=0:"
         "print_suppressions=0";
}

const char* __ubsan_default_options() { return "halt_on_error=1:exitcode=23:print_stacktrace=1"; }

const char* __lsan_default_options() {
  return "exitcode=23:print_suppressions=0:suppressions=" JOBQ_SANITIZE_DIR "/lsan.supp";
}

// second_deadlock_stack: both stacks of a lock-order inversion.
// history_size=4 (512K accesses per thread, default 128K): with less, the
// older of two racing accesses is often "[failed to restore the stack]", and
// a suppression by library (tsan.supp) cannot match a stack it cannot see.
const char* __tsan_default_options() {
  return "halt_on_error=1:exitcode=23:second_deadlock_stack=1:print_suppressions=0:"
         "history_size=4:"
         "allow_user_segv_handler=1:suppressions=" JOBQ_SANITIZE_DIR "/tsan.supp";
}

}  // extern "C"
