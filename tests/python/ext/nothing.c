/* A valid shared library with no HPy symbols at all. */
int lichen_test_not_hpy(void) { return 42; }
