// Anchor of the test binaries' shared precompiled header (tests/CMakeLists.txt): this target
// compiles the header once per build; every test binary reuses it.
int main() { return 0; }
