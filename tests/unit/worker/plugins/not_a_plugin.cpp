// A shared library that is not a jobq plugin: it has no registration
// function.

extern "C" int jobq_test_not_a_plugin() { return 42; }
