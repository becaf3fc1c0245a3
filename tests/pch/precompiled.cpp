// The precompiled header's own target needs a source to compile
// (tests/CMakeLists.txt, jobq_test_pch); it adds nothing to any binary.
